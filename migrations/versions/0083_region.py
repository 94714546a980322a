"""The region as a command: registry.set_region (name and WGS-84 extent, refused where
the projected SRID measures distances more than 1% wrong), registry.projection_scale_error
and registry.local_srid.

Revision ID: 0083
Revises: 0082
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0083"
down_revision = "0082"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/070_region.sql")


def downgrade() -> None:
    run_files("load/000_drop_region.sql")
