"""A run's points are labelled in shares of connected parts (clustering.label_share,
clustering.share_squares), no longer a sector per connection: within a sector, parts of
an eps grid are never within eps of each other, so they can be labelled apart with
the same result. Spread over a city's area, the 1.1M benchmark's software sector held
its connection 23.5 s while comms' took 3 s. The work tables name a cluster by its
first member until clustering.compute numbers the clusters of a sector.

Revision ID: 0064
Revises: 0063
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0064"
down_revision = "0063"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/030_clustering.sql", "cluster/020_run.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ files (the work tables keep their new
    # shape, clustering.label_share stays): nothing to undo.
    pass
