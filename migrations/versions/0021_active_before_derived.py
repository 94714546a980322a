"""merge_load counts the enterprises active before a full refresh (the guard against
mass deactivation) from what the file says about each, instead of the loader scanning
the registry for it.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/040_screen.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Same signatures as 0020; an older client counts the registry itself and ignores
    # the extra key.
    pass
