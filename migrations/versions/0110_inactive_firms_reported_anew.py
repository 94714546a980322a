"""A file's closed or no-longer-digital row for an enterprise that is already inactive
records what it reports: a missing enterprise reported closed gets the reason closed
and the file's status (it kept missing and its last active status), a closed one
reported operating outside the digital sectors gets non_digital, a new closed status
is kept. registry.load_runs gets rows_restated, the count.

Revision ID: 0110
Revises: 0109
Create Date: 2026-11-26
"""

from industry_clusters.db.migrate import run_files

revision = "0110"
down_revision = "0109"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "load/040_screen.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Nothing to undo: the code of revision 0109 calls merge_load with the same
    # arguments and ignores the new count; the column stays, NULL for its loads.
    pass
