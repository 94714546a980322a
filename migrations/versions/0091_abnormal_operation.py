"""Operating status: an enterprise listed as operating abnormally (经营异常, 非正常户,
"abnormal") is excluded, as the study excluded abnormal operating status; 非正常户 and
"abnormal" read as active before (rule 2 matches 正常 and "normal"). 迁入 (moved in) is
active; it matched no rule. Two new rows of registry.status_rules (3 and 4); the rows
a user edited are kept.

Revision ID: 0091
Revises: 0090
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0091"
down_revision = "0090"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/020_rules.sql")


def downgrade() -> None:
    # Nothing to undo: the rules are rows a user may have edited since; they stay.
    pass
