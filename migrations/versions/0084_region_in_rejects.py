"""A location rejected as outside the region names the region and its extent in its
message (the region can change later: db region).

Revision ID: 0084
Revises: 0083
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0084"
down_revision = "0083"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/040_screen.sql")


def downgrade() -> None:
    # Nothing to undo: every revision re-runs the current sql/ files.
    pass
