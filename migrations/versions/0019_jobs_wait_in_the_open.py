"""Loads and clustering runs exclude each other through one function,
registry.hold_enterprises(job, wait): a run holds SHARE, a load's writes ROW EXCLUSIVE;
without waiting it answers false, so that the CLI can say what it waits for. Replaces
clustering.hold_registry (revision 0018).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "cluster/020_run.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # clustering.compute keeps calling registry.hold_enterprises, which stays; the base
    # downgrade drops both (the registry schema; publish/000_drop.sql).
    pass
