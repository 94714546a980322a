"""registry.run_is_dead: the one rule by which registry.abandon_dead_runs judges a
load run and a clustering run (the same test was written out in both updates).

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/040_run_log.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # abandon_dead_runs of this revision calls the function, so it stays; the base
    # downgrade (schema/000_drop.sql) drops both with the schema.
    pass
