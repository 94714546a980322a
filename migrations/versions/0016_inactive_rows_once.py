"""The loader finds the inactive rows once: the duplicates step also records every
status_inactive row with the first accepted line of its code (load_work.same_code), and
the history and the status changes are taken from that small table; a re-load that adds
no enterprise skips the insert; the first load sets the id sequence without a scan.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/040_screen.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Same signatures as 0015: the functions keep their newer bodies (as 0014's do).
    pass
