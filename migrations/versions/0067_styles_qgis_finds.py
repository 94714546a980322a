"""The default QGIS styles in public.layer_styles get type NULL, which QGIS's
PostgreSQL provider matches whatever geometry type the layer was opened with; the
'Vector' written until now matched none, and QGIS (3.22, Debian 12) opened the publish
layers unstyled. Styles already installed are corrected.

Revision ID: 0067
Revises: 0066
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0067"
down_revision = "0066"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("publish/040_layer_styles.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ file, which now writes NULL: nothing
    # to undo (NULL is what QGIS itself writes for a style of no particular type).
    pass
