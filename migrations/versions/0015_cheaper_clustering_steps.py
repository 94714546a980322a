"""Cheaper clustering steps: natural breaks searched over distinct sizes, the core-flag
cell bounds joined by hash.

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
    run_files("cluster/010_tiers.sql", "cluster/020_run.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Same functions, same signatures: the base downgrade drops them.
    pass
