"""clustering.refresh_published() takes the row of clustering.published before it
reads the latest succeeded run, in a statement of its own: a refresh that waited for
a run's transaction to commit now publishes that run. With revision 0044's single
UPDATE it read the runs from a snapshot taken before the wait and published the run
before.

Revision ID: 0046
Revises: 0045
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0046"
down_revision = "0045"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("publish/020_refresh.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ file, which now defines the function:
    # nothing to undo.
    pass
