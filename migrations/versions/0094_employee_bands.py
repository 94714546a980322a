"""Employees as a band, as Tianyancha's 人员规模 gives them (50-99人, 小于50人,
10000人以上): registry.parse_employee_band, and registry.size_class_by_band, which gives
the class when the whole band lies in one. The column 人员规模 was not read, and the
registered capital decided the class; a count (参保人数) still comes first.

Revision ID: 0094
Revises: 0093
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0094"
down_revision = "0093"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "load/030_parsers.sql", "load/040_screen.sql")


def downgrade() -> None:
    # Nothing to undo: every revision re-runs the current sql/ files. The functions go
    # with the loader's first revision (load/000_drop.sql).
    pass
