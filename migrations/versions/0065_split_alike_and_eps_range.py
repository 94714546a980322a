"""Every share of a run is split from the same number of points: clustering.run_parts
records p_split_from, clustering.label_share refuses another, and clustering.compute
labels the shares left with it (it used label_share's default, so shares labelled from
SQL with another threshold could overlap or miss points). eps must lie between a
millimetre and 1,000 km: 1e-300 failed with "bigint out of range", 1e308 with a GEOS
error.

Revision ID: 0065
Revises: 0064
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0065"
down_revision = "0064"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/030_clustering.sql", "cluster/020_run.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ files (run_parts keeps its column,
    # the eps check its range): nothing to undo.
    pass
