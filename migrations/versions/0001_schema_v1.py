"""Schema v1: schemas, roles, registry and clustering tables, grants.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from industry_clusters.db.migrate import run_files

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files(
        "schema/010_schemas_roles.sql",
        "schema/020_registry.sql",
        "schema/030_clustering.sql",
        "schema/040_run_log.sql",
        "schema/090_grants.sql",
    )


def downgrade() -> None:
    run_files("schema/000_drop.sql")
