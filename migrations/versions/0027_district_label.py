"""The statistics' name for a cluster without a district ('(unknown)') in one function,
publish.district_label, used by publish.district_sector_stats_of and tier_stats_of.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("publish/010_views.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The views keep calling the function (same results); the base downgrade
    # (publish/000_drop.sql) drops the schema with it.
    pass
