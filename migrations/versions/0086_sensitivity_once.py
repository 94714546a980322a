"""clustering.sensitivity sweeps a value given twice once (ARRAY[300, 300] swept 300
twice from psql; the CLI removed duplicates first).

Revision ID: 0086
Revises: 0085
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0086"
down_revision = "0085"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("cluster/050_sensitivity.sql")


def downgrade() -> None:
    # Nothing to undo: every revision re-runs the current sql/ files.
    pass
