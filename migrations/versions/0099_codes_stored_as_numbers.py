"""A credit code that a spreadsheet stored as a number (9.14406E+17: 15 of its 18 digits
kept) is still credit_code_invalid, and its reject now says what happened and what to do
(format the column as text and export again).

Revision ID: 0099
Revises: 0098
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0099"
down_revision = "0098"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/040_screen.sql")


def downgrade() -> None:
    # Nothing to undo: every revision re-runs the current sql/ files.
    pass
