"""The sheets of a workbook that have values but were not read (a notes sheet, a sheet of
another header) are recorded with the load (registry.load_runs.not_read): their rows
are neither accepted nor rejected, so the load names them.

Revision ID: 0078
Revises: 0077
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0078"
down_revision = "0077"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Nothing to undo: the column is nullable, and every revision re-runs the current
    # sql/ files, which define it.
    pass
