"""A location that is not decimal degrees is rejected with what is wrong with each of
its two values ("longitude '1e+308' is not a decimal number of degrees"): the message
said both "are not numbers", also of 1e+308, which is one. A point layer's feature
that is no point is rejected saying what it is (the reader's note, kept as the staging
row's pre_message without a pre_reason): it said "longitude missing / latitude missing".

Revision ID: 0104
Revises: 0103
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0104"
down_revision = "0103"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/020_rules.sql", "load/040_screen.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Nothing to undo: every revision re-runs the current sql/ files; the rejects
    # recorded with the new messages keep them.
    pass
