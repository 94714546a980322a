"""Core flags: the points the grid's bounds leave undecided are counted exactly by one
hash join to the points of their ring cells (clustering.label_sectors), instead of an
index probe per point into a GiST index built for the purpose.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("cluster/020_run.sql")


def downgrade() -> None:
    # label_sectors keeps its newer body (same labels and flags); the base downgrade
    # (schema/000_drop.sql) removes the clustering schema with it.
    pass
