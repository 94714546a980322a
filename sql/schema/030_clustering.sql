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
    run_id bigint NOT NULL,
    enterprise_id bigint NOT NULL,
    cluster_id bigint NOT NULL,  -- with run_id: a cluster of the run (members_inserted, below)
    is_core boolean NOT NULL,
    PRIMARY KEY (run_id, enterprise_id)
);
CREATE INDEX IF NOT EXISTS members_cluster_idx ON clustering.members (cluster_id);
COMMENT ON TABLE clustering.members IS 'Cluster membership of a run; enterprises absent here were noise.';
COMMENT ON COLUMN clustering.members.run_id IS 'Clustering run.';
COMMENT ON COLUMN clustering.members.enterprise_id IS 'Enterprise (registry.enterprises).';
COMMENT ON COLUMN clustering.members.cluster_id IS 'Cluster (clustering.clusters).';
COMMENT ON COLUMN clustering.members.is_core IS 'True when at least min_points enterprises of the sector, itself included, lie within eps.';

-- Stable cluster identities across runs (added by revision 0008; here so that every
-- revision that runs the current sql/ files finds them).

CREATE SEQUENCE IF NOT EXISTS clustering.cluster_key_seq;
COMMENT ON SEQUENCE clustering.cluster_key_seq IS 'New persistent cluster keys.';

-- a new key by default (existing clusters get one each); clustering.trace_lineage
-- then gives a cluster that continues one of the previous run its key
ALTER TABLE clustering.clusters ADD COLUMN IF NOT EXISTS cluster_key bigint NOT NULL
    DEFAULT nextval('clustering.cluster_key_seq');
CREATE UNIQUE INDEX IF NOT EXISTS clusters_run_key ON clustering.clusters (run_id, cluster_key);
CREATE INDEX IF NOT EXISTS clusters_key_idx ON clustering.clusters (cluster_key);
COMMENT ON COLUMN clustering.clusters.cluster_key IS 'Persistent key: the same cluster keeps it from run to run (clustering.lineage).';

ALTER TABLE clustering.runs ADD COLUMN IF NOT EXISTS previous_run_id bigint
    REFERENCES clustering.runs ON DELETE SET NULL;
COMMENT ON COLUMN clustering.runs.previous_run_id IS 'The run this one''s clusters were matched to (clustering.previous_run); NULL for the first of a series.';

CREATE TABLE IF NOT EXISTS clustering.lineage (
    run_id bigint NOT NULL REFERENCES clustering.runs ON DELETE CASCADE,
    cluster_key bigint NOT NULL,
    cluster_id bigint REFERENCES clustering.clusters ON DELETE CASCADE,
    event text NOT NULL
        CHECK (event IN ('born', 'stable', 'grew', 'shrank', 'merged', 'split', 'dissolved')),
    parent_keys bigint[] NOT NULL DEFAULT '{{}}',
    size_before integer NOT NULL,
    size_after integer NOT NULL,
    shared_members integer NOT NULL,
    PRIMARY KEY (run_id, cluster_key)
);
CREATE INDEX IF NOT EXISTS lineage_parents_idx ON clustering.lineage USING gin (parent_keys);
COMMENT ON TABLE clustering.lineage IS 'What happened to each cluster from a run''s previous run to the run: one row per cluster of the run, plus one per dissolved cluster.';
COMMENT ON COLUMN clustering.lineage.run_id IS 'The later run.';
COMMENT ON COLUMN clustering.lineage.cluster_key IS 'Persistent key of the cluster (of the dissolved one, for dissolved).';
COMMENT ON COLUMN clustering.lineage.cluster_id IS 'The cluster in the run; NULL when dissolved.';
COMMENT ON COLUMN clustering.lineage.event IS 'born, stable, grew, shrank, merged, split or dissolved (rules in README, Cluster evolution).';
COMMENT ON COLUMN clustering.lineage.parent_keys IS 'Keys of the previous run''s clusters it came from (several for merged; the one split for split).';
COMMENT ON COLUMN clustering.lineage.size_before IS 'Members of the parent clusters together (0 when born).';
COMMENT ON COLUMN clustering.lineage.size_after IS 'Members now (0 when dissolved).';
COMMENT ON COLUMN clustering.lineage.shared_members IS 'Members it shares with its parents.';

-- Work of a run in progress, shared between connections (added by revision 0011). The
-- CLI labels sectors on separate connections (clustering.label_sectors), each
-- committing its labels here; the run's transaction then reads them
-- (clustering.compute) and deletes them. UNLOGGED: scratch data, never published; a
-- server crash empties both tables together, and the run is marked abandoned anyway.
-- No foreign key to the run: a check per row costs more than the row (rows of runs
-- no longer running are deleted by clustering.clear_work at the next start).

CREATE UNLOGGED TABLE IF NOT EXISTS clustering.run_parts (
    run_id bigint NOT NULL,
    sector_ids smallint[] NOT NULL,
    n_points bigint NOT NULL,
    timings jsonb NOT NULL,
    PRIMARY KEY (run_id, sector_ids)
);
COMMENT ON TABLE clustering.run_parts IS 'Sectors of a running clustering run already labelled, one row per clustering.label_sectors call; emptied when the run ends.';
COMMENT ON COLUMN clustering.run_parts.run_id IS 'Clustering run.';
COMMENT ON COLUMN clustering.run_parts.sector_ids IS 'Sectors labelled together.';
COMMENT ON COLUMN clustering.run_parts.n_points IS 'Enterprises of these sectors clustered.';
COMMENT ON COLUMN clustering.run_parts.timings IS 'Seconds of DBSCAN and of the core flags.';

CREATE UNLOGGED TABLE IF NOT EXISTS clustering.run_labels (
    run_id bigint NOT NULL,
    enterprise_id bigint NOT NULL,
    sector_id smallint NOT NULL,
    cid integer NOT NULL,
    is_core boolean NOT NULL,
    geom geometry(Point, {srid}) NOT NULL,
    district_code text,
    district_name text
);
CREATE INDEX IF NOT EXISTS run_labels_run_idx ON clustering.run_labels (run_id);
COMMENT ON TABLE clustering.run_labels IS 'DBSCAN labels of the clustered enterprises of a running run, as seen by the connection that labelled them; emptied when the run ends.';
COMMENT ON COLUMN clustering.run_labels.run_id IS 'Clustering run.';
COMMENT ON COLUMN clustering.run_labels.enterprise_id IS 'Enterprise (registry.enterprises).';
COMMENT ON COLUMN clustering.run_labels.sector_id IS 'Sector.';
COMMENT ON COLUMN clustering.run_labels.cid IS 'ST_ClusterDBSCAN cluster number within the sector (arbitrary; compute renumbers).';
COMMENT ON COLUMN clustering.run_labels.is_core IS 'Core point (min points within eps).';
COMMENT ON COLUMN clustering.run_labels.geom IS 'Projected point, as clustered.';
COMMENT ON COLUMN clustering.run_labels.district_code IS 'District code, as clustered.';
COMMENT ON COLUMN clustering.run_labels.district_name IS 'District name, as clustered.';

-- Members name a cluster of their own run: (run_id, cluster_id) is a key of
-- clustering.clusters. Checked per statement (registry.check_references): a foreign key
-- checked each of the 930,000 members of a run of a million enterprises, 12 s. A
-- cluster's members are deleted with it (and so with its run) by a statement trigger.
CREATE UNIQUE INDEX IF NOT EXISTS clusters_run_cluster ON clustering.clusters (run_id, cluster_id);
ALTER TABLE clustering.members DROP CONSTRAINT IF EXISTS members_run_id_fkey,
    DROP CONSTRAINT IF EXISTS members_cluster_id_fkey,
    DROP CONSTRAINT IF EXISTS members_cluster_fkey;
DROP TRIGGER IF EXISTS members_inserted ON clustering.members;
CREATE TRIGGER members_inserted AFTER INSERT ON clustering.members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION registry.check_references('run_id, cluster_id', 'clustering.clusters',
                                               'run_id, cluster_id');
DROP TRIGGER IF EXISTS members_updated ON clustering.members;
CREATE TRIGGER members_updated AFTER UPDATE ON clustering.members
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION registry.check_references('run_id, cluster_id', 'clustering.clusters',
                                               'run_id, cluster_id');
DROP TRIGGER IF EXISTS clusters_deleted ON clustering.clusters;
CREATE TRIGGER clusters_deleted AFTER DELETE ON clustering.clusters
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION registry.delete_references('clustering.members', 'run_id, cluster_id',
                                                'run_id, cluster_id');
DROP FUNCTION IF EXISTS clustering.members_check_clusters();
DROP FUNCTION IF EXISTS clustering.clusters_delete_members();
