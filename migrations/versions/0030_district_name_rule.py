"""An enterprise's district name, "the boundary's name, else the registered district",
in one function, registry.district_name, used by merge_load (through
load_work.incoming) and assign_districts instead of four coalesce expressions.

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/040_screen.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The loader's functions keep calling it (same results); the base downgrade
    # (load/000_drop.sql) drops it with them.
    pass
