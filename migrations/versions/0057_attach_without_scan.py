"""A run's members table is created with CHECK (run_id = <run>), so ATTACH PARTITION
takes the bound from it instead of reading every row (the CHECK is dropped after), and
clustering.trace_lineage looks for dissolved clusters among the previous run's clusters
left without a shared-member link only. Same results.

Revision ID: 0057
Revises: 0056
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0057"
down_revision = "0056"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/030_clustering.sql", "cluster/040_lineage.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ files: nothing to undo.
    pass
