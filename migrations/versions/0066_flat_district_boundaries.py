"""District boundaries with heights or measures (Polygon Z, Polygon M) are made flat
before they are checked and converted: a Z polygon failed the whole load with
"Geometry has Z dimension but column does not", an M polygon was rejected as not a
polygon.

Revision ID: 0066
Revises: 0065
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0066"
down_revision = "0065"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/050_districts.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ file, which now flattens: nothing to
    # undo.
    pass
