"""The first load into an empty registry builds the indexes of registry.enterprises after
inserting (registry.drop_indexes), instead of maintaining them row by row.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23
"""

from industry_clusters.db.migrate import run_files

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/040_screen.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # registry.drop_indexes is used by the current merge_load; the base downgrade
    # removes the registry schema with it.
    pass
