"""District boundaries with curves (CurvePolygon, MultiSurface: ArcGIS true curves) are
cut into segments before they are checked and converted: they failed the whole load
with "ST_MakeValid: unsupported geometry type CurvePolygon".

Revision ID: 0069
Revises: 0068
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0069"
down_revision = "0068"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/050_districts.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ file, which now takes curves: nothing
    # to undo.
    pass
