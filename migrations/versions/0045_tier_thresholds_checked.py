"""Tier thresholds are checked before a run is recorded, in one place
(clustering.tier_thresholds): a threshold given to jenks tiers is refused instead of
ignored, core must lie above medium (inverted thresholds gave inverted tiers),
quantiles must lie in (0, 1] and sizes be at least 1, and absolute sizes may carry a
decimal point, as the CLI sends them (they failed the run with an integer cast error).

Revision ID: 0045
Revises: 0044
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0045"
down_revision = "0044"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("cluster/010_tiers.sql", "cluster/020_run.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ files, which now define these
    # functions: nothing to undo.
    pass
