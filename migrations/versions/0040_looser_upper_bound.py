"""Core flags: the cell upper bound is the count of the 11 x 11 cells around instead of
the exact upper set's, four window passes fewer; the few points it leaves undecided
are counted exactly as before (the 1.1M benchmark's core flags: comms 7.4-7.6 s instead
of 7.8-8.2 s, software 4.4 s instead of 5.0-5.2 s). The same flags.

Revision ID: 0040
Revises: 0039
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("cluster/020_run.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ file, which now defines this
    # function: nothing to undo.
    pass
