"""Fields are trimmed of Unicode blanks too (registry.field_value): the ideographic space
U+3000 of full-width input, the no-break and zero-width spaces of web text. btrim()
trimmed ASCII spaces only: a code, status, capital, coordinate or date followed by an
ideographic space was rejected, and a name of one ideographic space passed as a name.

Revision ID: 0074
Revises: 0073
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0074"
down_revision = "0073"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/030_parsers.sql", "load/040_screen.sql", "load/050_districts.sql",
              "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ files, which now call
    # registry.field_value: the function stays.
    pass
