"""Choosing eps and min points: the DBSCAN sweep and the k-distance curve, computed in
the database (sql/cluster/050_sensitivity.sql), printed as tables and drawn as a PNG."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from industry_clusters.db import snapshot, user_parameters
from industry_clusters.errors import UserError
from industry_clusters.publish import result_table


def sensitivity(target, eps: list[float], min_points: list[int], *,
                sectors: list[str] | None = None, as_of: dt.date | None = None,
                k_distance: bool = True, samples: int = 100) -> dict[str, tuple[list[str], list]]:
    """The sweep table and (optionally) the k-distance curves, k = each min points."""
    if not eps or not min_points:
        raise UserError("give at least one eps and one min points value")
    out = {}
    # one snapshot for the table and the curves (not read-only: the sweep stages its
    # points in a temporary table)
    with snapshot(target, read_only=False) as conn:
        with user_parameters():
            cur = conn.execute("SELECT * FROM clustering.sensitivity(%s, %s, %s, %s)",
                               (eps, min_points, sectors, as_of))
            out["sensitivity"] = result_table(cur)
            if k_distance:
                cur = conn.execute("SELECT * FROM clustering.k_distance(%s, %s, %s, %s)",
                                   (sorted(set(min_points)), sectors, as_of, samples))
                out["k_distance"] = result_table(cur)
    return out


def draw(result: dict[str, tuple[list[str], list]], path: Path, eps: list[float]) -> Path:
    """Per sector: clusters and clustered share against eps (a line per min points),
    and the k-distance curves with the candidate eps values marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols, rows = result["sensitivity"]
    recs = [dict(zip(cols, r, strict=True)) for r in rows]
    sectors = sorted({r["sector"] for r in recs})
    panels = 3 if "k_distance" in result else 2
    fig, axes = plt.subplots(len(sectors), panels, figsize=(5 * panels, 4 * len(sectors)),
                             squeeze=False, dpi=110)
    for i, sector in enumerate(sectors):
        mine = [r for r in recs if r["sector"] == sector]
        for m in sorted({r["min_points"] for r in mine}):
            pts = sorted((r["eps_m"], r["clusters"], float(r["clustered_share"] or 0))
                         for r in mine if r["min_points"] == m)
            axes[i][0].plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                            label=f"min points {m}")
            axes[i][1].plot([p[0] for p in pts], [p[2] for p in pts], marker="o",
                            label=f"min points {m}")
        axes[i][0].set(title=f"{sector}: clusters", xlabel="eps (m)", ylabel="clusters")
        axes[i][1].set(title=f"{sector}: share of enterprises clustered", xlabel="eps (m)",
                       ylabel="share", ylim=(0, 1))
        axes[i][0].legend(fontsize=8)
        if "k_distance" in result:
            kcols, krows = result["k_distance"]
            kd = [dict(zip(kcols, r, strict=True)) for r in krows if r[0] == sector]
            ax = axes[i][2]
            for k in sorted({r["k"] for r in kd}):
                curve = [(float(r["rank_share"]), r["distance_m"]) for r in kd
                         if r["k"] == k and r["distance_m"] is not None]
                ax.plot([c[0] for c in curve], [c[1] for c in curve], label=f"k = {k}")
            for e in eps:
                ax.axhline(e, color="grey", linewidth=0.6, linestyle="--")
            ax.set(title=f"{sector}: sorted k-distance (dashed: eps tried)",
                   xlabel="share of enterprises", ylabel="distance to k-th neighbour (m)",
                   yscale="log")
            ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
