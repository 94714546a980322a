"""Nightly operation: pruning old clustering runs, change detection.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from industry_clusters.db.migrate import run_files

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("cluster/030_prune.sql", "schema/090_grants.sql")


def downgrade() -> None:
    run_files("cluster/000_drop_prune.sql")
