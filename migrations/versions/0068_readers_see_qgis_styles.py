"""The reader role may read public.layer_styles: QGIS reads a layer's default style as
the user who opens the layer, and GIS staff connecting as readers got "permission
denied for table layer_styles" and unstyled layers.

Revision ID: 0068
Revises: 0067
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0068"
down_revision = "0067"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ file, which now grants it: nothing to
    # undo.
    pass
