"""clustering.compute analyzes the work table clustering.run_labels through a SECURITY
DEFINER function: ANALYZE needs the table's owner, so a run as the loader role (the
nightly job's role) skipped it with a WARNING and planned the members' join for a
one-row table (0.6-1.5 s more at 111,761 enterprises).

Revision ID: 0048
Revises: 0047
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0048"
down_revision = "0047"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("cluster/020_run.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ file, which now defines the function:
    # nothing to undo.
    pass
