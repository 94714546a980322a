"""A 5-digit number in a date field is an Excel serial date (42075 is 2015-03-12): a
date cell whose format was lost (General) or a CSV saved so. It was rejected as
bad_date, and with it the firm.

Revision ID: 0072
Revises: 0071
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0072"
down_revision = "0071"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/030_parsers.sql", "load/040_screen.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ files, which now read serials:
    # nothing to undo.
    pass
