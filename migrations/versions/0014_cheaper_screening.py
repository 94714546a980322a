"""Cheaper screening: the region test on scalar bounds, the check digit read byte by
byte, the first load's insert without RETURNING, one join of the incoming rows to the
registry in a re-load.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/030_parsers.sql", "load/040_screen.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The functions replaced here are dropped by the base downgrade (load/000_drop.sql),
    # which knows both the old and the new signatures.
    pass
