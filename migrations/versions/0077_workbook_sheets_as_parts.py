"""A workbook's sheets of one header are read as the parts of one export (a portal splits
an .xls export of more than 65,536 rows over sheets); only the first sheet was read, and
a full refresh marked the other sheets' firms inactive. The comments of
registry.load_runs.parts (each part's layer) and registry.rejects.part say so.

Revision ID: 0077
Revises: 0076
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0077"
down_revision = "0076"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Nothing to undo: comments only, and every revision re-runs the current sql/ files.
    pass
