"""A district code repeats only among the usable boundary features: a first feature
rejected for another reason (outside the region, no geometry, no name) no longer makes
the next one with its code a duplicate.

Revision ID: 0082
Revises: 0081
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0082"
down_revision = "0081"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/050_districts.sql")


def downgrade() -> None:
    # Nothing to undo: every revision re-runs the current sql/ files.
    pass
