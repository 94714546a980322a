"""The first publication of clusters rebuilds publish.enterprises instead of merging:
while publish.clusters is empty every enterprise is shown as noise and the first run
changes most rows, which a concurrent refresh deletes and re-inserts one by one (17-30 s
at 1,117,610 enterprises, against 6.4 s for a plain refresh). A plain refresh is not
MVCC-safe, so it holds clustering.runs exclusively meanwhile: readers that take one
snapshot for several layers lock publish.cluster_runs first and wait for it.

Revision ID: 0037
Revises: 0036
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("publish/020_refresh.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ file, which now defines this
    # function: nothing to undo.
    pass
