"""A load is skipped only when the last successful load of enterprises read the same
content the same way (registry.load_runs.layers records the layer or sheet read). Any
earlier load with the same content used to be enough: a registry that went back to an
earlier night's export (A, B, then A again) kept B's state.

Revision ID: 0076
Revises: 0075
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0076"
down_revision = "0075"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Nothing to undo: the column is nullable, and every revision re-runs the current
    # sql/ files, which define it.
    pass
