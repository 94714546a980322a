"""clustering.sector_ids refuses an empty list of sectors: clustering.run(500, 30, '{}')
recorded and published a run of no enterprise, where NULL is the way to say "all".

Revision ID: 0058
Revises: 0057
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0058"
down_revision = "0057"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("cluster/020_run.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ file: nothing to undo.
    pass
