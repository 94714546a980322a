"""Clustering in the database, tiers, and the publish schema's views.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from industry_clusters.db.migrate import run_files

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files(
        "cluster/010_tiers.sql",
        "cluster/020_run.sql",
        "publish/010_views.sql",
        "publish/020_refresh.sql",
        "publish/030_export.sql",
        "schema/090_grants.sql",
    )


def downgrade() -> None:
    run_files("publish/000_drop.sql")
