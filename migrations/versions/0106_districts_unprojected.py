"""District boundaries in a projected CRS are unprojected by PostGIS, not refused: a
surveying office hands them out in CGCS2000 / 3-degree Gauss-Kruger (EPSG:4547 at
Foshan). registry.boundary_geometry takes the layer's CRS (ST_Transform to EPSG:4326
before --crs reads the degrees); registry.load_runs.layer_crs records it.

Revision ID: 0106
Revises: 0105
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0106"
down_revision = "0105"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "load/050_districts.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Nothing to undo: the code of revision 0105 refuses a projected layer before it
    # stages it, so layer_crs stays NULL and registry.replace_districts, which keeps its
    # arguments, reads the boundaries as degrees, as it did.
    pass
