"""The capital parser takes the unit of a bare number (registry.parse_capitals(raw,
bare_unit), default 万元), and the screening passes the unit the column's header
states. Revision 0052 appended that unit to the values instead, so capital_raw no
longer held the text as written.

Revision ID: 0054
Revises: 0053
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0054"
down_revision = "0053"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/030_parsers.sql", "load/040_screen.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ files, which define the two-argument
    # functions (030_parsers.sql drops the one-argument ones first): nothing to undo.
    pass
