"""A clustering run reads one committed state of the registry: it holds a SHARE lock on
registry.enterprises (clustering.hold_registry) until it ends.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("cluster/020_run.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # clustering.compute keeps calling hold_registry; the base downgrade
    # (publish/000_drop.sql) drops both.
    pass
