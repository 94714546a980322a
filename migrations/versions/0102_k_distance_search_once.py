"""clustering.k_distance searches each point's nearest neighbours once for all the k
asked for: the search's CTE was inlined under the join with the k's and ran once per k
(47 s against 15 s for ARRAY[20, 30, 40] at the demo's 111,213 points).

Revision ID: 0102
Revises: 0101
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0102"
down_revision = "0101"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("cluster/050_sensitivity.sql")


def downgrade() -> None:
    # Nothing to undo: every revision re-runs the current sql/ files.
    pass
