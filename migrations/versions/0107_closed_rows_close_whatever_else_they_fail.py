"""A row that reports its enterprise closed closes a known enterprise even where
another rule rejects it (no coordinates, a capital not read): load_work.screened's
says_closed, taken by registry.merge_load. Such a firm stayed active under
--incremental, and a full refresh marked it missing, without its status or date.

Revision ID: 0107
Revises: 0106
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0107"
down_revision = "0106"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/040_screen.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Nothing to undo: the code of revision 0106 calls the loader's functions with the
    # same arguments, their scratch tables live only as long as a load, and the
    # enterprises closed stay closed, as the file says they are.
    pass
