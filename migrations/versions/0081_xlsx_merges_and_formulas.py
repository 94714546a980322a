"""XLSX: a row holding a formula whose value the workbook does not hold is rejected as
formula_not_calculated (it read as empty cells, and was rejected for what they lacked);
merged ranges are read as Excel shows them (the reader's work: no schema change).

Revision ID: 0081
Revises: 0080
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0081"
down_revision = "0080"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/020_rules.sql")


def downgrade() -> None:
    # Nothing to undo: a reason code, and every revision re-runs the current sql/ files.
    pass
