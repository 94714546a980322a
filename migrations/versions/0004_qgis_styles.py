"""QGIS: public.layer_styles (as QGIS creates it, when absent) and the style writer.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from industry_clusters.db.migrate import run_files

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("publish/040_layer_styles.sql", "schema/090_grants.sql")


def downgrade() -> None:
    run_files("publish/040_drop_layer_styles.sql")
