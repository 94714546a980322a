"""The district rule in one place: registry.locate_points, used by the loader (the
incoming rows) and by registry.assign_districts (every enterprise, after new boundaries).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/040_screen.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # merge_load and assign_districts keep their bodies, which call locate_points; the
    # base downgrade (load/000_drop.sql) drops all three.
    pass
