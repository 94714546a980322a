"""QGIS: default layer styles (QML kept in qgis/), in public.layer_styles for the
publish layers and in a GeoPackage export's own layer_styles table."""

from __future__ import annotations

from pathlib import Path

from industry_clusters.db import connect, migrate
from industry_clusters.paths import ROOT

STYLE_NAME = "industry-clusters"
STYLE_DESCRIPTION = "industry-clusters default style"
STYLES = {"clusters": "clusters.qml", "districts": "districts.qml",
          "enterprises": "enterprises.qml"}


def qml(layer: str) -> str:
    return (ROOT / "qgis" / STYLES[layer]).read_text(encoding="utf-8")


def install_styles(target) -> list[str]:
    with connect(target) as conn:
        migrate.require_schema(conn)
        for table in STYLES:
            conn.execute("SELECT clustering.set_layer_style(%s, 'geom', %s, %s)",
                         (table, STYLE_NAME, qml(table)))
        conn.commit()
    return [f"publish.{t}" for t in STYLES]


def write_geopackage_styles(path: Path, layers: list[str]) -> None:
    """The default styles of the styled ``layers`` of a GeoPackage, written into its
    layer_styles table as QGIS writes it there (f_table_schema '', the layer's geometry
    column, useAsDefault), so QGIS opens an export styled as it opens publish.* from
    PostGIS; a GeoPackage export had no styles."""
    import datetime

    import numpy as np
    import pyogrio

    styled = [name for name in layers if name in STYLES]
    if not styled:
        return
    n = len(styled)

    def text(values: list) -> np.ndarray:
        return np.array(values, dtype=object)

    now = np.datetime64(datetime.datetime.now(datetime.UTC).replace(tzinfo=None), "ms")
    columns = {
        "f_table_catalog": text([""] * n), "f_table_schema": text([""] * n),
        "f_table_name": text(styled),
        "f_geometry_column": text([pyogrio.read_info(path, layer=name)["geometry_name"]
                                   for name in styled]),
        "styleName": text([STYLE_NAME] * n), "styleQML": text([qml(name) for name in styled]),
        "styleSLD": text([None] * n), "useAsDefault": np.ones(n, dtype=bool),
        "description": text([STYLE_DESCRIPTION] * n), "owner": text([""] * n),
        "ui": text([None] * n), "update_time": np.full(n, now),
    }
    pyogrio.raw.write(path, None, list(columns.values()), list(columns), layer="layer_styles",
                      driver="GPKG", append=True)
