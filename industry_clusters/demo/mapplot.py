"""The demo map: clusters colour-coded by sector and tier over district outlines."""

from __future__ import annotations

from pathlib import Path

from psycopg import sql

from industry_clusters.db import BATCH, in_batches
from industry_clusters.demo.study import DISTRICTS
from industry_clusters.publish import layer_source

COLOURS = {("comms", "core"): "#7f0000", ("comms", "medium"): "#d7301f",
           ("comms", "small"): "#fc8d59", ("software", "core"): "#08306b",
           ("software", "medium"): "#2171b5", ("software", "small"): "#6baed6"}


def draw(conn, path: Path, run: int | None = None) -> Path:
    """Draw the published clusters (or those of clustering run ``run``) to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import shapely
    from matplotlib import patheffects
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Patch
    from matplotlib.patches import Polygon as MplPolygon

    fig, ax = plt.subplots(figsize=(10, 10), dpi=120)
    font = _cjk_font()
    districts = conn.execute("SELECT name, code, ST_AsBinary(geom) FROM publish.districts "
                             "ORDER BY code").fetchall()
    for name, code, wkb in districts:
        g = shapely.from_wkb(bytes(wkb))
        for poly in getattr(g, "geoms", [g]):
            xs, ys = poly.exterior.xy
            ax.plot(xs, ys, color="#555555", linewidth=0.8)
        c = g.representative_point()
        # Chinese names need a CJK font; without one, English names (or the code).
        label = name if font else DISTRICTS.get(code, (name, code))[1]
        ax.annotate(label, (c.x, c.y), fontsize=10, color="#222222", ha="center",
                    fontfamily=font, fontweight="bold", zorder=5,
                    path_effects=[patheffects.withStroke(linewidth=3, foreground="white")])
    # the enterprises outside clusters, streamed in batches (656,224 of them at the
    # benchmark's 1.1 million: fetched at once they held 400 MB)
    with conn.cursor(name="map_noise") as cur:
        cur.itersize = BATCH
        cur.execute(sql.SQL("SELECT ST_X(geom), ST_Y(geom) FROM {} WHERE cluster_key IS NULL"
                            ).format(layer_source("enterprises", run)))
        for rows in in_batches(cur):
            xy = np.array(rows, dtype=float)
            ax.scatter(xy[:, 0], xy[:, 1], s=0.1, c="#d9d9d9", rasterized=True,
                       linewidths=0)
    clusters = conn.execute(sql.SQL(
        "SELECT sector, tier, n_members, ST_AsBinary(geom), ST_X(ST_Centroid(geom)), "
        "ST_Y(ST_Centroid(geom)) FROM {} ORDER BY tier_rank DESC, n_members"
    ).format(layer_source("clusters", run))).fetchall()
    # polygons are a few hundred metres across: at city scale each is also drawn as a
    # marker whose area grows with the number of members. One collection of each, in
    # the clusters' order: a patch and a scatter per cluster took 50 s for 6,376
    # clusters (matplotlib rescaled the axes over every collection at each one).
    patches, colours = [], []
    for sector, tier, _n, wkb, _x, _y in clusters:
        for poly in shapely.from_wkb(bytes(wkb)).geoms:
            patches.append(MplPolygon(list(poly.exterior.coords), closed=True))
            colours.append(COLOURS[(sector, tier)])
    if clusters:
        ax.add_collection(PatchCollection(patches, facecolors=colours, edgecolors="none"))
        ax.scatter([c[4] for c in clusters], [c[5] for c in clusters],
                   s=[4 + c[2] / 3 for c in clusters],
                   c=[COLOURS[(c[0], c[1])] for c in clusters], edgecolors="black",
                   linewidths=0.3, alpha=0.85, zorder=3)
    ax.set_aspect("equal")
    ax.autoscale_view()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    bar = 10000
    bx, by = x0 + (x1 - x0) * 0.05, y0 + (y1 - y0) * 0.04
    ax.plot([bx, bx + bar], [by, by], color="black", linewidth=3)
    ax.text(bx + bar / 2, by + (y1 - y0) * 0.01, "10 km", ha="center", fontsize=9)
    ax.annotate("N", xy=(x1 - (x1 - x0) * 0.05, y1 - (y1 - y0) * 0.05), ha="center",
                fontsize=12, fontweight="bold")
    handles = [Patch(facecolor=c, edgecolor="black", label=f"{s}: {t}")
               for (s, t), c in COLOURS.items()]
    handles.append(Patch(facecolor="#d9d9d9", label="enterprise outside clusters"))
    ax.legend(handles=handles, loc="upper left", fontsize=8,
              title="cluster (marker area ~ members)")
    ax.set_xticks([])
    ax.set_yticks([])
    srid = conn.execute("SELECT Find_SRID('publish', 'clusters', 'geom')").fetchone()[0]
    ax.set_title(f"Digital industrial clusters (DBSCAN in PostGIS), EPSG:{srid}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def _cjk_font() -> str | None:
    """A font with Chinese glyphs if the machine has one, else matplotlib's default."""
    from matplotlib import font_manager

    for f in font_manager.fontManager.ttflist:
        if any(k in f.name for k in ("Noto Sans CJK", "WenQuanYi", "Droid Sans Fallback",
                                      "AR PL", "Source Han")):
            return f.name
    return None
