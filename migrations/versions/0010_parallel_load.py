"""Loader speed: scratch tables of a load move from temporary tables to the schema
load_work (UNLOGGED, so parallel workers can scan them), staging has one text column
per file column (so a clean CSV is COPYed by the server directly), rules run once per
distinct value, and unchanged enterprises are no longer touched by a re-load. Load runs
record which parser read the file (registry.load_runs.parser).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

from industry_clusters.db.migrate import run_files

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/010_schemas_roles.sql", "schema/020_registry.sql",
              "load/000_drop_0009.sql", "load/030_parsers.sql", "load/040_screen.sql",
              "schema/090_grants.sql")


def downgrade() -> None:
    # The functions of the current sql/ files need this revision's schema; the base
    # downgrade (schema/000_drop.sql) removes load_work.
    pass
