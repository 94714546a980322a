"""registry.rule_tables() is STABLE, not IMMUTABLE: it turns table names into OIDs
through the catalog, so a plan must not keep its result across a table re-created.

Revision ID: 0095
Revises: 0094
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0095"
down_revision = "0094"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/040_screen.sql")


def downgrade() -> None:
    # Nothing to undo: every revision re-runs the current sql/ files.
    pass
