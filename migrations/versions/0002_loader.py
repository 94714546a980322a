"""Loader: coordinate conversions, screening rules, parsers, screening and merge.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from industry_clusters.db.migrate import run_files

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files(
        "load/010_coordinates.sql",
        "load/020_rules.sql",
        "load/030_parsers.sql",
        "load/040_screen.sql",
        "load/050_districts.sql",
        "schema/090_grants.sql",
    )


def downgrade() -> None:
    run_files("load/000_drop.sql")
