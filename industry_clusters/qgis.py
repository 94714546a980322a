"""QGIS: default layer styles in public.layer_styles (QML kept in qgis/)."""

from __future__ import annotations

from industry_clusters.db import connect, migrate
from industry_clusters.paths import ROOT

STYLE_NAME = "industry-clusters"
STYLES = {"clusters": "clusters.qml", "districts": "districts.qml",
          "enterprises": "enterprises.qml"}


def install_styles(target) -> list[str]:
    with connect(target) as conn:
        migrate.require_schema(conn)
        for table, qml in STYLES.items():
            conn.execute("SELECT clustering.set_layer_style(%s, 'geom', %s, %s)",
                         (table, STYLE_NAME, (ROOT / "qgis" / qml).read_text(encoding="utf-8")))
        conn.commit()
    return [f"publish.{t}" for t in STYLES]
