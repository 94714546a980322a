"""registry.parse_coordinate: the one pattern of a longitude or latitude (written out
four times in the screening since revision 0096), and registry.reject_records takes the
columns its caller has already read (they were computed twice per rejects file).

Revision ID: 0101
Revises: 0100
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0101"
down_revision = "0100"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/030_parsers.sql", "load/040_screen.sql", "load/080_rejects.sql",
              "schema/090_grants.sql")


def downgrade() -> None:
    # Nothing to undo: every revision re-runs the current sql/ files. The functions go
    # with the loader's first revision (load/000_drop.sql) and revision 0100's
    # (load/000_drop_rejects.sql).
    pass
