"""A district boundary with no point in the region extent (registry.settings) is
rejected as boundary_outside_region: it can hold no enterprise, whose coordinates are
refused outside that extent, so it is another place's boundary or misread coordinates.

Revision ID: 0080
Revises: 0079
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0080"
down_revision = "0079"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/050_districts.sql")


def downgrade() -> None:
    # Nothing to undo: every revision re-runs the current sql/ files, which define the
    # rule; the districts already loaded stay as they are.
    pass
