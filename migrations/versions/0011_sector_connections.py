"""Clustering on two connections: sectors are labelled (ST_ClusterDBSCAN and core flags)
by clustering.label_sectors, each connection committing its labels to the UNLOGGED work
tables clustering.run_labels and clustering.run_parts, which clustering.compute reads
and empties in the run's transaction.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""

from industry_clusters.db.migrate import run_files

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/030_clustering.sql", "cluster/020_run.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The functions of the current sql/ files need the work tables; the base downgrade
    # (schema/000_drop.sql) removes the clustering schema with them.
    pass
