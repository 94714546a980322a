"""An eps of NaN is refused with the parameter rules' message: PostgreSQL orders NaN
above every number and equal to itself, so clustering.check_dbscan_params let it
through and the run failed with "bigint out of range".

Revision ID: 0050
Revises: 0049
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0050"
down_revision = "0049"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("cluster/020_run.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ file, which now holds the rule:
    # nothing to undo.
    pass
