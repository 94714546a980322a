-- Clustering tables: runs and their results. Template: {srid} is the projected SRID.

CREATE TABLE IF NOT EXISTS clustering.runs (
    run_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    status text NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned')),
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    eps_m double precision NOT NULL CHECK (eps_m > 0),
    min_points integer NOT NULL CHECK (min_points >= 1),
    srid integer NOT NULL,
    sector_ids smallint[] NOT NULL,
    as_of date,
    tier_method text NOT NULL,
    tier_params jsonb NOT NULL DEFAULT '{{}}',
    n_points bigint,
    n_clustered bigint,
    n_clusters integer,
    timings jsonb,
    error text,
    backend_pid integer NOT NULL DEFAULT pg_backend_pid(),
    db_user text NOT NULL DEFAULT current_user
);
COMMENT ON TABLE clustering.runs IS 'One row per clustering run: parameters, counts, timings, status. publish shows the latest succeeded run.';
COMMENT ON COLUMN clustering.runs.run_id IS 'Integer key.';
COMMENT ON COLUMN clustering.runs.status IS 'running, succeeded, failed, or abandoned (process died; marked at the next start).';
COMMENT ON COLUMN clustering.runs.started_at IS 'When the run started.';
COMMENT ON COLUMN clustering.runs.finished_at IS 'When the run ended.';
COMMENT ON COLUMN clustering.runs.eps_m IS 'DBSCAN eps in metres of the projected SRID.';
COMMENT ON COLUMN clustering.runs.min_points IS 'DBSCAN min points (a core point has at least this many points within eps, itself included).';
COMMENT ON COLUMN clustering.runs.srid IS 'Projected SRID clustered in.';
COMMENT ON COLUMN clustering.runs.sector_ids IS 'Sectors clustered (registry.sectors).';
COMMENT ON COLUMN clustering.runs.as_of IS 'Snapshot date, when the run clustered the enterprises existing at that date.';
COMMENT ON COLUMN clustering.runs.tier_method IS 'How tiers were assigned (jenks, quantile, absolute).';
COMMENT ON COLUMN clustering.runs.tier_params IS 'Tier thresholds used (resolved breaks included).';
COMMENT ON COLUMN clustering.runs.n_points IS 'Enterprises clustered (active, accepted, in the chosen sectors).';
COMMENT ON COLUMN clustering.runs.n_clustered IS 'Enterprises in a cluster (not noise).';
COMMENT ON COLUMN clustering.runs.n_clusters IS 'Clusters found.';
COMMENT ON COLUMN clustering.runs.timings IS 'Seconds per step.';
COMMENT ON COLUMN clustering.runs.error IS 'Error message of a failed run.';
COMMENT ON COLUMN clustering.runs.backend_pid IS 'Server process of the run (to detect abandoned runs).';
COMMENT ON COLUMN clustering.runs.db_user IS 'Database role that ran it.';

CREATE TABLE IF NOT EXISTS clustering.clusters (
    cluster_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id bigint NOT NULL REFERENCES clustering.runs ON DELETE CASCADE,
    sector_id smallint NOT NULL REFERENCES registry.sectors,
    label integer NOT NULL,
    n_members integer NOT NULL,
    n_core integer NOT NULL,
    hull geometry(MultiPolygon, {srid}) NOT NULL,
    centroid geometry(Point, {srid}) NOT NULL,
    area_km2 double precision NOT NULL,
    density_per_km2 double precision NOT NULL,
    district_code text,
    district_name text,
    tier text CHECK (tier IN ('core', 'medium', 'small')),
    UNIQUE (run_id, sector_id, label)
);
CREATE INDEX IF NOT EXISTS clusters_hull_idx ON clustering.clusters USING gist (hull);
COMMENT ON TABLE clustering.clusters IS 'One row per cluster of a run.';
COMMENT ON COLUMN clustering.clusters.cluster_id IS 'Integer key (per run; not stable across runs).';
COMMENT ON COLUMN clustering.clusters.run_id IS 'Clustering run.';
COMMENT ON COLUMN clustering.clusters.sector_id IS 'Sector (registry.sectors).';
COMMENT ON COLUMN clustering.clusters.label IS 'Cluster number within run and sector, 1-based, ordered by the smallest member key.';
COMMENT ON COLUMN clustering.clusters.n_members IS 'Enterprises in the cluster (core and border).';
COMMENT ON COLUMN clustering.clusters.n_core IS 'Core enterprises.';
COMMENT ON COLUMN clustering.clusters.hull IS 'Convex hull of the members, buffered by eps/10 so small or collinear clusters still have an area.';
COMMENT ON COLUMN clustering.clusters.centroid IS 'Mean position of the members.';
COMMENT ON COLUMN clustering.clusters.area_km2 IS 'Area of hull in km2.';
COMMENT ON COLUMN clustering.clusters.density_per_km2 IS 'n_members / area_km2.';
COMMENT ON COLUMN clustering.clusters.district_code IS 'Code of the district holding most members (ties: the lowest code, then name); NULL without boundaries.';
COMMENT ON COLUMN clustering.clusters.district_name IS 'Name of the district holding most members (boundaries when loaded, else the registered district).';
COMMENT ON COLUMN clustering.clusters.tier IS 'core, medium or small (clustering.runs.tier_method).';

CREATE TABLE IF NOT EXISTS clustering.members (
    run_id bigint NOT NULL REFERENCES clustering.runs ON DELETE CASCADE,
    enterprise_id bigint NOT NULL,
    cluster_id bigint NOT NULL REFERENCES clustering.clusters ON DELETE CASCADE,
    is_core boolean NOT NULL,
    PRIMARY KEY (run_id, enterprise_id)
);
CREATE INDEX IF NOT EXISTS members_cluster_idx ON clustering.members (cluster_id);
COMMENT ON TABLE clustering.members IS 'Cluster membership of a run; enterprises absent here were noise.';
COMMENT ON COLUMN clustering.members.run_id IS 'Clustering run.';
COMMENT ON COLUMN clustering.members.enterprise_id IS 'Enterprise (registry.enterprises).';
COMMENT ON COLUMN clustering.members.cluster_id IS 'Cluster (clustering.clusters).';
COMMENT ON COLUMN clustering.members.is_core IS 'True when at least min_points enterprises of the sector, itself included, lie within eps.';
