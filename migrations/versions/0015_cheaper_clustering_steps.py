"""Cheaper clustering steps: natural breaks searched over distinct sizes, the core-flag
cell bounds joined by hash; the keys of members and rejects checked per statement.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "schema/030_clustering.sql", "cluster/010_tiers.sql",
              "cluster/020_run.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The functions are the same (the base downgrade drops them); the keys of members
    # and rejects go back to foreign keys.
    run_files("schema/000_foreign_keys.sql")
