"""The rejected rows of a load written out as the file had them (industry-clusters
rejects): registry.load_runs.headers keeps the file's header, registry.reject_columns
and registry.reject_records give the rows in the file's order with their values under
it. The rejects were readable only as JSON from SQL.

Revision ID: 0100
Revises: 0099
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0100"
down_revision = "0099"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "load/040_screen.sql", "load/080_rejects.sql",
              "schema/090_grants.sql")


def downgrade() -> None:
    run_files("load/000_drop_rejects.sql")
