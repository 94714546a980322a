"""clustering.compute analyzes the labels' work table and clustering.clusters in one
call, after the run's clusters are in (clustering.analyze_run_tables): revisions 0048
and 0061 had made a function each. The same statistics before the same statements.

Revision ID: 0062
Revises: 0061
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0062"
down_revision = "0061"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("cluster/020_run.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ files: nothing to undo.
    pass
