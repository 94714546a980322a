"""The size class as Qichacha writes it, a code and its name in brackets (S(小型),
XS(微型)): registry.size_class_given reads both spellings, which must name one class.
Such a value was unknown, and the employees or the registered capital decided.

Revision ID: 0093
Revises: 0092
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0093"
down_revision = "0092"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/030_parsers.sql")


def downgrade() -> None:
    # Nothing to undo: every revision re-runs the current sql/ files.
    pass
