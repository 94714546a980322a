"""The published run is recorded (clustering.published) by the refresh that publishes
it, instead of being the latest succeeded run: a run made with cluster --no-refresh
was named published (publish.cluster_runs, the nightly job's comparison, prune) while
the views still showed the run before it. The table starts with the run the views
show.

Revision ID: 0044
Revises: 0043
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/030_clustering.sql", "cluster/020_run.sql", "publish/020_refresh.sql",
              "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ files, which now define the table
    # and the functions: nothing to undo.
    pass
