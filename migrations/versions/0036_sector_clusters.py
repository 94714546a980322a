"""Cluster rows by the labelling connections: clustering.label_sectors also makes the
cluster rows of its sectors (numbers, hulls, centroids, districts) into the new work
table clustering.run_clusters, and clustering.run_labels keeps each member's final
label instead of DBSCAN's number and its point; compute copies the rows and writes the
members. publish.cluster_runs shows each run's labelling method (runs lists it).
label_sectors, trace_lineage and stage_sweep_points send no NOTICEs of scratch tables
not there to drop (psql printed 18 for one clustering.run()).

Revision ID: 0036
Revises: 0035
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/030_clustering.sql", "cluster/020_run.sql", "cluster/040_lineage.sql",
              "cluster/050_sensitivity.sql", "publish/010_views.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The revisions before it re-run the same sql/ files, which now define these work
    # tables and functions: nothing to undo (the work tables hold rows only while a
    # run is running).
    pass
