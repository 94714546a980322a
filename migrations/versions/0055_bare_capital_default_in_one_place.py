"""registry.parse_capitals / parse_capital take NULL as the bare unit's default and read
it as 万元 themselves, so the default is written in the parser only (revision 0054 wrote
'万元' in both signatures and in registry.screen_load). Same results.

Revision ID: 0055
Revises: 0054
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0055"
down_revision = "0054"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/030_parsers.sql", "load/040_screen.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ files (030_parsers.sql drops every
    # signature first): nothing to undo.
    pass
