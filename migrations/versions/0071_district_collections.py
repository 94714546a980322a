"""District boundaries held in GeometryCollections (the output of overlay tools and
ST_Intersection) keep their polygons: they were rejected as not polygons, or the whole
layer was refused.

Revision ID: 0071
Revises: 0070
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0071"
down_revision = "0070"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/050_districts.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ file, which now takes collections:
    # nothing to undo.
    pass
