"""The region in one place: the view registry.region (name, extent, centre, the SRID's
error there, a truer SRID, and the one text that names it), which registry.set_region,
the screening's reject messages and the CLI read; load runs record the region they
screened with (registry.load_runs.region).

Revision ID: 0085
Revises: 0084
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0085"
down_revision = "0084"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "load/070_region.sql", "load/040_screen.sql",
              "load/050_districts.sql")


def downgrade() -> None:
    # Nothing to undo: every revision re-runs the current sql/ files. The view goes with
    # revision 0083's functions (load/000_drop_region.sql), the column with the table.
    pass
