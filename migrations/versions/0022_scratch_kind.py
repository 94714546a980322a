"""The kind of the district lookup's scratch tables (TEMP in pg_temp, else UNLOGGED) in
one function, registry.scratch_kind, instead of three copies of the expression.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/040_screen.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # prepare_district_parts and locate_points keep calling scratch_kind, which stays;
    # the base downgrade (load/000_drop.sql) drops it.
    pass
