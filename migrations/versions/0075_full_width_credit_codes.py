"""Credit codes typed in full width (９１４４０６０４...) are read as ASCII
(registry.credit_code_form): they were rejected as credit_code_invalid.

Revision ID: 0075
Revises: 0074
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0075"
down_revision = "0074"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/030_parsers.sql", "load/040_screen.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ files, which now call
    # registry.credit_code_form: the function stays.
    pass
