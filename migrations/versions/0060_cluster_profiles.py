"""Cluster profiles: the survey's figures of a run (publish.tier_structure_of) are counted
while the run labels its sectors, from the registry rows it read, and kept with its
clusters (clustering.cluster_profiles). Before, every refresh counted them again from
the registry as it was then, so an old run's figures changed with every load. Clusters
of earlier runs get profiles from the registry as it is at the upgrade.

Revision ID: 0060
Revises: 0059
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0060"
down_revision = "0059"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/030_clustering.sql", "cluster/020_run.sql",
              "cluster/060_profiles_backfill.sql", "publish/010_views.sql",
              "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ files: nothing to undo.
    pass
