"""Business scope: selling software (软件销售, wholesale or retail) or selling online
(互联网销售, a standard item of most trading firms' scopes) no longer makes a firm
without an industry code digital. Sector rule 4 is updated where it still has the
earlier default pattern; a rule a user edited is kept.

Revision ID: 0092
Revises: 0091
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0092"
down_revision = "0091"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/020_rules.sql")


def downgrade() -> None:
    # Nothing to undo: the rules are rows a user may have edited since; they stay.
    pass
