"""Grants: both roles may read the schema revision (the CLI checks it).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from industry_clusters.db.migrate import run_files

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/090_grants.sql")


def downgrade() -> None:
    # Reading the revision table is harmless at 0005 too: the grant is left in place
    # (it disappears with the table when downgrading to base).
    pass
