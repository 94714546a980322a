"""District boundaries in a projected CRS are unprojected a part of the layer at a time
(registry.replace_districts; about registry.unproject_part_vertices() vertices a part):
PostGIS builds the transformation once a part, where from a CRS given only as WKT or a
proj string it built it again for every feature (130 ms a feature).
registry.boundary_shape reads a feature's shape; registry.boundary_geometry takes the
shape instead of the WKB. Where a part cannot be unprojected at once (a vertex outside
the projection's domain), each of its features is unprojected on its own, as before,
and that one is rejected.

Revision ID: 0111
Revises: 0110
Create Date: 2026-11-26
"""

from industry_clusters.db.migrate import run_files

revision = "0111"
down_revision = "0110"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/050_districts.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Nothing to undo: the code of revision 0110 calls replace_districts with the same
    # arguments; the functions of this revision stay, with the same results.
    pass
