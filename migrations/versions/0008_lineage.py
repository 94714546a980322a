"""Cluster evolution: persistent cluster keys, lineage events, publish.cluster_lineage,
evolution reports, the eps / min points sweep and the k-distance curve.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from industry_clusters.db.migrate import run_files

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/030_clustering.sql", "cluster/040_lineage.sql", "cluster/020_run.sql",
              "cluster/050_sensitivity.sql",
              "publish/010_views.sql", "publish/050_evolution.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # A step towards base: the sql/ files of later revisions expect lineage.
    run_files("cluster/000_drop_lineage.sql", "publish/000_drop_evolution.sql")
