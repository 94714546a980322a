"""Labels by cells: clustering.label_sectors can find ST_ClusterDBSCAN's labels over grid
cells of core points instead of points (clustering.cell_labels), the same labels in a
tenth of the time for dense sectors; a run's method (auto, points, cells) is a new
parameter of start_run and run, recorded in clustering.runs.method. The core flags are
clustering.core_flags, shared by both methods.

Revision ID: 0034
Revises: 0033
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/030_clustering.sql", "cluster/020_run.sql", "publish/020_refresh.sql",
              "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ files, which now define the
    # seven-argument start_run and run: the column and the functions stay. The base
    # downgrade drops both signatures (publish/000_drop.sql).
    pass
