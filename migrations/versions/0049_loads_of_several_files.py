"""A load of several files, the parts of one export, is one load: registry.load_runs.parts
lists the files, and a reject records its part (registry.rejects.part) and its record
number in that part's file. Before, the nightly job loaded each part incrementally in a
transaction of its own: enterprises absent from every part were never marked inactive,
and a failed part left the parts before it loaded.

Revision ID: 0049
Revises: 0048
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0049"
down_revision = "0048"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "load/040_screen.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Nothing to undo: the two columns are nullable, and the functions of 0048 and
    # before are these files' (every revision re-runs the current sql/), which write them.
    pass
