"""publish.enterprises names its cluster by the persistent cluster_key only (its
cluster_id column, new every run, is gone): an enterprise whose cluster did not change
keeps an identical row, so REFRESH ... CONCURRENTLY rewrites only what changed.
publish.clusters gets a unique index on cluster_key, the column to join the two on.

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("publish/010_views.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The views of the current sql/ files have no cluster_id on enterprises; the base
    # downgrade (publish/000_drop.sql) drops the schema with them.
    pass
