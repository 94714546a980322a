"""A load's status changes come from a small table of the rows that close an active
enterprise (load_work.closing), so that a re-load whose closed enterprises are already
inactive does not read the registry for them.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/040_screen.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Same signatures as 0019: the functions keep their newer bodies (as 0014's do).
    pass
