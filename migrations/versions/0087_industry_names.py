"""Industry given as GB/T 4754 division names, as Qichacha and Tianyancha export it
(所属行业 软件和信息技术服务业, or a path 门类-大类-中类-小类): the table
registry.industry_divisions, read by registry.gbt4754_division. Such a value gave no
division before, so the business scope decided the sector, and a file without one
rejected the firm as non_digital.

Revision ID: 0087
Revises: 0086
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0087"
down_revision = "0086"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/020_rules.sql", "load/030_parsers.sql")


def downgrade() -> None:
    # Nothing to undo: every revision re-runs the current sql/ files. The table goes
    # with the loader's first revision (load/000_drop.sql).
    pass
