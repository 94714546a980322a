"""Excel 97-2003 workbooks (.xls) are loaded: registry.load_runs.format says xls.

Revision ID: 0073
Revises: 0072
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0073"
down_revision = "0072"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Only a column comment changed; it is left as it is.
    pass
