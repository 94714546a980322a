"""Core flags by sub-cells: clustering.core_flags adds to a point's lower bound the ring
cells that lie within eps of the sixteenth of its cell that holds it, before counting
points one by one, and bounds only the cells holding targets; it returns its counts as
jsonb (undecided, counted). clustering.cell_labels reads the run's points itself (its
new first argument after the run is the sectors) and collects the cells' multipoints
into a table of their own before ST_ClusterDBSCAN.

Revision ID: 0035
Revises: 0034
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("cluster/020_run.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ file, which now defines this
    # core_flags: nothing to undo.
    pass
