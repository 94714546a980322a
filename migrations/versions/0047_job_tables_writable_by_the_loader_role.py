"""The tables a job makes for itself through a SECURITY DEFINER function (the load's
staging table, a run's members table) are writable by the loader group role as well
as by the session user (registry.job_writers): a job acting as the loader by SET ROLE
(a NOINHERIT member, PGOPTIONS='-c role=industry_clusters_loader', an administrator
trying it in psql) failed with "permission denied", since only the session user was
granted INSERT.

Revision ID: 0047
Revises: 0046
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0047"
down_revision = "0046"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/010_schemas_roles.sql", "schema/030_clustering.sql",
              "load/040_screen.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ files, which now define these
    # functions: nothing to undo.
    pass
