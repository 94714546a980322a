"""registry.boundary_geometry: a district boundary that PostGIS cannot read (a ring that
is not closed) or whose coordinates are not degrees is rejected as geometry_invalid, with
what was wrong; such a feature failed the whole load with a database error.

Revision ID: 0103
Revises: 0102
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0103"
down_revision = "0102"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/050_districts.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Nothing to undo: every revision re-runs the current sql/ files. The function goes
    # with the loader's first revision (load/000_drop.sql); the reason code stays, as
    # the rejects recorded with it do.
    pass
