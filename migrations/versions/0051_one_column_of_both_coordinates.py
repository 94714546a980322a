"""registry.screen_load takes the longitude and latitude from one column of both
("113.123456,23.045678", as Amap's geocoder returns a location) when the file has no
column of its own for them (the loader's field lonlat: 经纬度, 坐标, location...).

Revision ID: 0051
Revises: 0050
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0051"
down_revision = "0050"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/040_screen.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ file, which now holds the split; a
    # load without a lonlat column is unchanged: nothing to undo.
    pass
