"""clustering.compute analyzes the work table of labels before reading it, and sorts in
memory (work_mem 256MB): 3.6 s instead of 6.7 s for the members' labels at 1.1 million
enterprises, where the planner took the emptied table for one row.

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("cluster/020_run.sql")


def downgrade() -> None:
    # compute keeps its newer body (same results); the base downgrade removes it.
    pass
