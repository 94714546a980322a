"""The size class from insured employees (参保人数), as the exports of Qichacha and
Tianyancha carry them: registry.enterprises.employees, the thresholds per sector in
registry.size_employee_thresholds (the national classification's employee thresholds),
used when the file gives no class, before registered capital.

Revision ID: 0088
Revises: 0087
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0088"
down_revision = "0087"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "load/020_rules.sql", "load/030_parsers.sql",
              "load/040_screen.sql")


def downgrade() -> None:
    # Nothing to undo: every revision re-runs the current sql/ files. The table and
    # functions go with the loader's first revision (load/000_drop.sql); the column
    # stays, NULL in every row the older code writes.
    pass
