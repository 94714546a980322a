"""Layers of any run: publish.<layer>_of(run) functions; the views become their
published-run instances (same columns, same keys); publish.districts; the reader role
may see which run is published.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from industry_clusters.db.migrate import run_files

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("cluster/020_run.sql", "publish/010_views.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The views keep the columns and keys they had at 0006; the *_of functions they are
    # built on are additive and stay (they go with publish at the 0003 downgrade).
    pass
