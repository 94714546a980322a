"""Values typed in full-width mode (５００万元, ２０１５年３月１２日, ５０－９９人, Ｉ６５１０,
１１３．１２): registry.halfwidth reads their forms as the ASCII characters they stand for,
in every parser of digits (capital, dates, employees, size class, industry code,
coordinates), as registry.credit_code_form did alone for credit codes. Such a capital
was capital_irregular, such coordinates coordinates_missing, such a date bad_date.

Revision ID: 0096
Revises: 0095
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0096"
down_revision = "0095"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/030_parsers.sql", "load/040_screen.sql")


def downgrade() -> None:
    # Nothing to undo: every revision re-runs the current sql/ files. The functions go
    # with the loader's first revision (load/000_drop.sql).
    pass
