"""A workbook's sheet without a header row is read with the export's header when its
first rows are rows of the export (valid credit codes in its credit code column): the
column comments of registry.load_runs.parts (header_from) and .not_read (hint).

Revision ID: 0079
Revises: 0078
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0079"
down_revision = "0078"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Nothing to undo: comments only, and every revision re-runs the current sql/ files.
    pass
