"""A point layer of enterprises in a projected CRS (Gauss-Kruger, Web Mercator, a grid
given as WKT) is unprojected to longitude/latitude by PROJ (pyproj) as it is read,
instead of refused: the comments of registry.load_runs.layer_crs and parts, and of
registry.enterprises.source_x and source_y, say so. District boundaries in a projected
CRS that is an EPSG code of spatial_ref_sys are unprojected by its SRID
(registry.boundary_geometry's p_layer_srid): PostGIS built the transformation again for
every feature from the text, 130 ms each.

Revision ID: 0108
Revises: 0107
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0108"
down_revision = "0107"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "load/050_districts.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Nothing to undo: comments changed, the code of revision 0107 refuses such a
    # point layer before it starts a run, and calls replace_districts as before (its
    # boundary_geometry takes one argument more, with the same result).
    pass
