"""clustering.refresh_published runs with the server's work_mem again: the 256MB that
revision 0056 set made no difference (4MB, 64MB and 256MB alike, alternating runs at
1,117,610 enterprises) and only raised the memory a refresh may take.

Revision ID: 0059
Revises: 0058
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0059"
down_revision = "0058"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("publish/020_refresh.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ files: nothing to undo.
    pass
