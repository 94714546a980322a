"""A CSV or sheet whose header is below a title or a note: the header is looked for in
the first 10 lines, and the lines above it are kept in registry.load_runs.preamble.

Revision ID: 0053
Revises: 0052
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0053"
down_revision = "0052"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Nothing to undo: the column is nullable, and every revision re-runs the current
    # sql/ files, which define it.
    pass
