"""Loader keeps history: rows that first appear already deregistered are stored as
inactive enterprises (with the 注销日期 deregistration date when the file has one), so
that one registry file rebuilds past years with ``cluster --as-of``. Status is now the
last screening rule. publish.districts is refreshed with the other views (and by
load-districts).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from industry_clusters.db.migrate import run_files

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "load/040_screen.sql", "publish/010_views.sql",
              "publish/020_refresh.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The column is additive; the functions of the current sql/ files need it.
    pass
