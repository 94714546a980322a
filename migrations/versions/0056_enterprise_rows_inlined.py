"""publish.enterprises reads its rows through clustering.enterprise_rows, a plain SQL
function the planner inlines, instead of the SECURITY DEFINER publish.enterprises_of
(which now calls it): a refresh no longer writes the whole layer to a tuplestore first.
clustering.refresh_published runs with work_mem 256MB. Same rows.

Revision ID: 0056
Revises: 0055
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0056"
down_revision = "0055"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("publish/010_views.sql", "publish/020_refresh.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run sql/publish/010_views.sql, which drops and
    # re-creates the views and functions (clustering.enterprise_rows goes with the
    # publish.enterprise_row type it returns): nothing to undo.
    pass
