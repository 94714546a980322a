"""The nightly job keeps publish only when the published run has every parameter the
nightly run would have: sectors, tier method and parameters, as-of date and SRID as
well as eps and min points (clustering.published_run_is). Before, it compared eps and
min points only, so a run an analyst published by hand for one sector, with other
tiers or as of another date stayed published while the registry did not change.

Revision ID: 0043
Revises: 0042
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("cluster/030_prune.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Revision 0005 re-runs the same sql/ file, which now defines the function too:
    # nothing to undo (the function is dropped with the rest by 0005's downgrade).
    pass
