"""registry.gbt4754_division: the standard's designation and an edition's year in an
industry value are not a code ('GB/T 4754-2017 I6510' read division 47, '2017版 C3911'
division 20).

Revision ID: 0098
Revises: 0097
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0098"
down_revision = "0097"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/030_parsers.sql")


def downgrade() -> None:
    # Nothing to undo: every revision re-runs the current sql/ files.
    pass
