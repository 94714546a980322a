"""A bare number in a capital column whose header states a unit the capital parser
reads (注册资本(元), 注册资本(万美元)...) is read in that unit; before, the header's unit
was ignored and bare numbers were always 万元 (a column in 元 came out 10,000 times
too large).

Revision ID: 0052
Revises: 0051
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0052"
down_revision = "0051"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/040_screen.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ file, which now holds the rule:
    # nothing to undo.
    pass
