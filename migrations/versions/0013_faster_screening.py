"""Faster screening: one GCJ-02 function for both directions (shared terms, two inverse
steps), the rejects' raw rows built in one expression, a cheaper credit-code check.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23
"""

from industry_clusters.db.migrate import run_files

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/010_coordinates.sql", "load/030_parsers.sql", "load/040_screen.sql",
              "schema/090_grants.sql")


def downgrade() -> None:
    # The functions replaced here are dropped by the base downgrade (load/000_drop.sql),
    # which knows both the old and the new names.
    pass
