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
COMMENT ON TABLE clustering.runs IS 'One row per clustering run: parameters, counts, timings, status. publish shows the run clustering.published names (the latest succeeded run at the last refresh).';
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

-- The run publish shows (revision 0044). clustering.refresh_published() sets it to the
-- latest succeeded run in the transaction that refreshes the views, so it always names
-- the run the views hold: a run made without the refresh (cluster --no-refresh) is
-- published by the next refresh, not before. Before revision 0044 the published run
-- was the latest succeeded one, which named such a run while the views showed the one
-- before. One row; a database upgraded to 0044 starts with the run its views show.
CREATE TABLE IF NOT EXISTS clustering.published (
    one_row boolean PRIMARY KEY DEFAULT true CHECK (one_row),
    run_id bigint REFERENCES clustering.runs ON DELETE SET NULL
);
COMMENT ON TABLE clustering.published IS 'The run publish shows (one row; set by clustering.refresh_published).';
COMMENT ON COLUMN clustering.published.one_row IS 'Always true: the table holds one row.';
COMMENT ON COLUMN clustering.published.run_id IS 'The published run; NULL before the first publication.';
DO $$
DECLARE
    v_shown bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM clustering.published) THEN
        IF to_regclass('publish.clusters') IS NOT NULL THEN
            EXECUTE 'SELECT max(run_id) FROM publish.clusters' INTO v_shown;
        END IF;
        INSERT INTO clustering.published (run_id)
        VALUES (coalesce(v_shown, (SELECT max(run_id) FROM clustering.runs
                                    WHERE status = 'succeeded')));
    END IF;
END
$$;

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
-- the table of revisions 0001-0002 had no district_name
ALTER TABLE clustering.clusters ADD COLUMN IF NOT EXISTS district_name text;
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

-- Members are partitioned by run (revision 0033). A run writes its members into a table
-- of its own, without indexes, then indexes it and attaches it as its partition
-- (clustering.begin_members, attach_members, below); the partition of a pruned run is
-- dropped by the next prune (clustering.drop_members). Inserting the 1,117,610 members
-- of a run into one table holding seven runs took 10.9 s (both indexes updated row by
-- row, the key checked per statement); writing, indexing and attaching a partition
-- takes 2.2 s. A table of the old layout is converted at the end of this file.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_class WHERE oid = to_regclass('clustering.members')
                                      AND relkind = 'r') THEN
        ALTER TABLE clustering.members RENAME TO members_unpartitioned;
        ALTER INDEX clustering.members_pkey RENAME TO members_unpartitioned_pkey;
        ALTER INDEX IF EXISTS clustering.members_cluster_idx
            RENAME TO members_unpartitioned_cluster_idx;
    END IF;
END
$$;
CREATE TABLE IF NOT EXISTS clustering.members (
    run_id bigint NOT NULL,
    enterprise_id bigint NOT NULL,
    cluster_id bigint NOT NULL,  -- with run_id: a cluster of the run (members_cluster_fkey, below)
    is_core boolean NOT NULL,
    PRIMARY KEY (run_id, enterprise_id)
) PARTITION BY LIST (run_id);
CREATE INDEX IF NOT EXISTS members_cluster_idx ON clustering.members (cluster_id);
COMMENT ON TABLE clustering.members IS 'Cluster membership of a run; enterprises absent here were noise. One partition per run (clustering.members_<run_id>).';
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

-- Revision 0034: the runs before it labelled every sector by ST_ClusterDBSCAN over its
-- points, hence 'points' for them.
ALTER TABLE clustering.runs ADD COLUMN IF NOT EXISTS method text NOT NULL DEFAULT 'points'
    CHECK (method IN ('auto', 'points', 'cells'));
ALTER TABLE clustering.runs ALTER COLUMN method SET DEFAULT 'auto';
COMMENT ON COLUMN clustering.runs.method IS 'How the sectors were labelled: points (ST_ClusterDBSCAN over the enterprises), cells (over grid cells of core points), auto (clustering.auto_method: cells for 200,000 enterprises or more, at least half of them in dense grid cells). The same labels either way; timings->parts says which each part used.';

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
-- CLI labels a run's points in shares on separate connections (clustering.label_share),
-- each committing its labels here; the run's transaction then reads them
-- (clustering.compute) and deletes them. UNLOGGED: scratch data, never published; a
-- server crash empties the tables together, and the run is marked abandoned anyway.
-- No foreign key to the run: a check per row costs more than the row (rows of runs
-- no longer running are deleted by clustering.clear_work at the next start).
-- A cluster is named by its first member (its smallest enterprise key) until compute
-- numbers the clusters of a sector (revision 0064): a sector's clusters may come from
-- several shares, so no share can number them. Tables of an older shape (a label per
-- share's sector; before revision 0036, DBSCAN's cluster number) hold only the work of
-- runs in progress: they are dropped and made again.
DO $$
BEGIN
    IF EXISTS (SELECT FROM information_schema.tables WHERE table_schema = 'clustering'
                  AND table_name = 'run_labels')
       AND NOT EXISTS (SELECT FROM information_schema.columns WHERE table_schema = 'clustering'
                          AND table_name = 'run_labels' AND column_name = 'first_member') THEN
        DROP TABLE IF EXISTS clustering.run_labels, clustering.run_clusters,
            clustering.run_profiles, clustering.run_parts;
    END IF;
END
$$;

CREATE UNLOGGED TABLE IF NOT EXISTS clustering.run_parts (
    run_id bigint NOT NULL,
    share integer NOT NULL,
    shares integer NOT NULL,
    sector_ids smallint[] NOT NULL,
    n_points bigint NOT NULL,
    timings jsonb NOT NULL,
    PRIMARY KEY (run_id, share)
);
ALTER TABLE clustering.run_parts ADD COLUMN IF NOT EXISTS split_from bigint;  -- revision 0065
COMMENT ON TABLE clustering.run_parts IS 'Shares of a running clustering run already labelled, one row per clustering.label_share call; emptied when the run ends.';
COMMENT ON COLUMN clustering.run_parts.run_id IS 'Clustering run.';
COMMENT ON COLUMN clustering.run_parts.share IS 'Share of the run''s points, 0-based (clustering.label_share).';
COMMENT ON COLUMN clustering.run_parts.shares IS 'Shares the run''s points are labelled in.';
COMMENT ON COLUMN clustering.run_parts.sector_ids IS 'Sectors with points in the share.';
COMMENT ON COLUMN clustering.run_parts.n_points IS 'Enterprises of the share clustered.';
COMMENT ON COLUMN clustering.run_parts.split_from IS 'Points from which a sector was cut into connected parts (clustering.label_share''s p_split_from): the same for every share of a run.';
COMMENT ON COLUMN clustering.run_parts.timings IS 'Seconds of the split, DBSCAN, the core flags and the cluster rows.';

CREATE UNLOGGED TABLE IF NOT EXISTS clustering.run_labels (
    run_id bigint NOT NULL,
    enterprise_id bigint NOT NULL,
    first_member bigint NOT NULL,
    is_core boolean NOT NULL
);
-- no index: the table holds the running runs' rows only, read whole by compute, and an
-- index on run_id made writing 842,560 labels 1.9 s instead of 0.7 s (revision 0036)
DROP INDEX IF EXISTS clustering.run_labels_run_idx;
COMMENT ON TABLE clustering.run_labels IS 'The clustered enterprises of a running run, as seen by the connection that labelled them; emptied when the run ends.';
COMMENT ON COLUMN clustering.run_labels.run_id IS 'Clustering run.';
COMMENT ON COLUMN clustering.run_labels.enterprise_id IS 'Enterprise (registry.enterprises).';
COMMENT ON COLUMN clustering.run_labels.first_member IS 'Its cluster (clustering.run_clusters), named by its smallest member key.';
COMMENT ON COLUMN clustering.run_labels.is_core IS 'Core point (min points within eps).';

CREATE UNLOGGED TABLE IF NOT EXISTS clustering.run_clusters (
    run_id bigint NOT NULL,
    first_member bigint NOT NULL,
    sector_id smallint NOT NULL,
    n_members integer NOT NULL,
    n_core integer NOT NULL,
    hull geometry(MultiPolygon, {srid}) NOT NULL,
    centroid geometry(Point, {srid}) NOT NULL,
    district_code text,
    district_name text,
    PRIMARY KEY (run_id, first_member)
);
COMMENT ON TABLE clustering.run_clusters IS 'The clusters of a running run, made by the connection that labelled them (columns as clustering.clusters); emptied when the run ends.';
COMMENT ON COLUMN clustering.run_clusters.run_id IS 'Clustering run.';
COMMENT ON COLUMN clustering.run_clusters.first_member IS 'Its smallest member key, which names it until clustering.compute numbers the clusters of its sector.';
COMMENT ON COLUMN clustering.run_clusters.sector_id IS 'Sector.';
COMMENT ON COLUMN clustering.run_clusters.n_members IS 'Enterprises in the cluster (core and border).';
COMMENT ON COLUMN clustering.run_clusters.n_core IS 'Core enterprises.';
COMMENT ON COLUMN clustering.run_clusters.hull IS 'Convex hull of the members buffered by eps/10.';
COMMENT ON COLUMN clustering.run_clusters.centroid IS 'Mean position of the members.';
COMMENT ON COLUMN clustering.run_clusters.district_code IS 'Majority district code of the members.';
COMMENT ON COLUMN clustering.run_clusters.district_name IS 'Majority district name of the members.';

-- The survey's figures of a run (publish.tier_structure_of), per cluster and size class,
-- counted from the registry as the run read it (revision 0060). Before, they were
-- counted at every refresh from the registry as it was then: an old run's figures
-- changed with every load that changed a capital or a flag, and a refresh after a load
-- showed the published run's clusters with the load's attributes. The connection that
-- labels a cluster counts them (clustering.label_share, from the rows it read for
-- DBSCAN; 1.0 s of the refresh at 1,117,610 enterprises was their join to the
-- registry), into run_profiles; clustering.compute keys them by cluster.
CREATE TABLE IF NOT EXISTS clustering.cluster_profiles (
    cluster_id bigint NOT NULL REFERENCES clustering.clusters ON DELETE CASCADE,
    size_class text NOT NULL,
    n_members integer NOT NULL,
    n_digital integer NOT NULL,
    n_digital_known integer NOT NULL,
    capital_sum_cny numeric,
    n_capital integer NOT NULL,
    PRIMARY KEY (cluster_id, size_class)
);
COMMENT ON TABLE clustering.cluster_profiles IS 'Members of each cluster per size class, with their digital flags and capital, as the run read them from the registry (publish.tier_structure_of sums them).';
COMMENT ON COLUMN clustering.cluster_profiles.cluster_id IS 'Cluster (clustering.clusters).';
COMMENT ON COLUMN clustering.cluster_profiles.size_class IS 'micro, small, medium, large, or unknown (no size class in the registry).';
COMMENT ON COLUMN clustering.cluster_profiles.n_members IS 'Members of the cluster of this size class.';
COMMENT ON COLUMN clustering.cluster_profiles.n_digital IS 'Of them, with the digital-transformation flag true.';
COMMENT ON COLUMN clustering.cluster_profiles.n_digital_known IS 'Of them, with the flag known (true or false).';
COMMENT ON COLUMN clustering.cluster_profiles.capital_sum_cny IS 'Sum of their registered capital where known, CNY (NULL when none is).';
COMMENT ON COLUMN clustering.cluster_profiles.n_capital IS 'Of them, with a registered capital.';

CREATE UNLOGGED TABLE IF NOT EXISTS clustering.run_profiles (
    run_id bigint NOT NULL,
    first_member bigint NOT NULL,
    size_class text NOT NULL,
    n_members integer NOT NULL,
    n_digital integer NOT NULL,
    n_digital_known integer NOT NULL,
    capital_sum_cny numeric,
    n_capital integer NOT NULL
);
COMMENT ON TABLE clustering.run_profiles IS 'The cluster profiles of a running run (columns as clustering.cluster_profiles, the cluster named by its first member as in clustering.run_clusters); emptied when the run ends.';
COMMENT ON COLUMN clustering.run_profiles.run_id IS 'Clustering run.';
COMMENT ON COLUMN clustering.run_profiles.first_member IS 'Its cluster (clustering.run_clusters).';
COMMENT ON COLUMN clustering.run_profiles.size_class IS 'As clustering.cluster_profiles.';
COMMENT ON COLUMN clustering.run_profiles.n_members IS 'As clustering.cluster_profiles.';
COMMENT ON COLUMN clustering.run_profiles.n_digital IS 'As clustering.cluster_profiles.';
COMMENT ON COLUMN clustering.run_profiles.n_digital_known IS 'As clustering.cluster_profiles.';
COMMENT ON COLUMN clustering.run_profiles.capital_sum_cny IS 'As clustering.cluster_profiles.';
COMMENT ON COLUMN clustering.run_profiles.n_capital IS 'As clustering.cluster_profiles.';

-- Members name a cluster of their own run: (run_id, cluster_id) is a key of
-- clustering.clusters, and a cluster's members go with it (and so with its run). A
-- plain foreign key: a run's members come in by ATTACH PARTITION, which checks the key
-- with one query over the partition's rows. (Revisions 0015-0032 checked it with
-- statement triggers instead, because a key checked each of the 930,000 members of an
-- INSERT one by one took 12 s.)
CREATE UNIQUE INDEX IF NOT EXISTS clusters_run_cluster ON clustering.clusters (run_id, cluster_id);
DROP TRIGGER IF EXISTS members_inserted ON clustering.members;
DROP TRIGGER IF EXISTS members_updated ON clustering.members;
DROP TRIGGER IF EXISTS clusters_deleted ON clustering.clusters;
DROP FUNCTION IF EXISTS clustering.members_check_clusters();
DROP FUNCTION IF EXISTS clustering.clusters_delete_members();
ALTER TABLE clustering.members DROP CONSTRAINT IF EXISTS members_run_id_fkey,
    DROP CONSTRAINT IF EXISTS members_cluster_id_fkey;
-- added once: adding it again would check every partition's rows
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'members_cluster_fkey'
                                               AND conrelid = 'clustering.members'::regclass) THEN
        ALTER TABLE clustering.members ADD CONSTRAINT members_cluster_fkey
            FOREIGN KEY (run_id, cluster_id) REFERENCES clustering.clusters (run_id, cluster_id)
            ON DELETE CASCADE;
    END IF;
END
$$;

-- A run's partition of clustering.members: its name (the one place of that rule).
CREATE OR REPLACE FUNCTION clustering.members_partition(p_run bigint)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT 'members_' || p_run
$$;
COMMENT ON FUNCTION clustering.members_partition(bigint) IS
    'Name of the partition of clustering.members holding a run''s members.';

-- The functions below are SECURITY DEFINER: the loader role has no CREATE anywhere. As
-- with a load's staging table, the login role running the job (not the owner) is
-- granted INSERT on the one table it fills, until the table is attached: a grant left
-- behind would keep the role from being dropped.
CREATE OR REPLACE FUNCTION clustering.begin_members(p_run bigint)
RETURNS regclass LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_name text := clustering.members_partition(p_run);
BEGIN
    -- a table for a run id not taken yet would stop that run when it comes
    IF NOT EXISTS (SELECT FROM clustering.runs WHERE run_id = p_run) THEN
        RAISE EXCEPTION 'clustering run % does not exist', p_run
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- the CHECK lets ATTACH PARTITION skip reading every row to prove the partition
    -- bound (attach_members drops it then)
    EXECUTE format('CREATE TABLE clustering.%I (LIKE clustering.members INCLUDING COMMENTS, '
                   'CONSTRAINT %I CHECK (run_id = %s))', v_name, v_name || '_run', p_run);
    EXECUTE format('COMMENT ON TABLE clustering.%I IS %L', v_name,
                   format('Members of clustering run %s (partition of clustering.members).', p_run));
    PERFORM registry.job_writers(format('clustering.%I', v_name)::regclass, true);
    RETURN format('clustering.%I', v_name)::regclass;
END
$$;
COMMENT ON FUNCTION clustering.begin_members(bigint) IS
    'Creates a run''s members table, empty and without indexes, for the run to fill; clustering.attach_members makes it the run''s partition.';

-- default_statistics_target 10: the partition is analyzed for the views refreshed next
-- (3,000 sampled rows are enough for their plans).
CREATE OR REPLACE FUNCTION clustering.attach_members(p_run bigint)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp SET default_statistics_target = 10 AS $$
DECLARE
    v_name text := clustering.members_partition(p_run);
BEGIN
    EXECUTE format('ALTER TABLE clustering.%I ADD PRIMARY KEY (run_id, enterprise_id)', v_name);
    EXECUTE format('CREATE INDEX ON clustering.%I (cluster_id)', v_name);
    EXECUTE format('ALTER TABLE clustering.members ATTACH PARTITION clustering.%I '
                   'FOR VALUES IN (%s)', v_name, p_run);
    EXECUTE format('ALTER TABLE clustering.%I DROP CONSTRAINT IF EXISTS %I', v_name,
                   v_name || '_run');
    PERFORM registry.job_writers(format('clustering.%I', v_name)::regclass, false);
    EXECUTE format('ANALYZE clustering.%I', v_name);
END
$$;
COMMENT ON FUNCTION clustering.attach_members(bigint) IS
    'Indexes a run''s filled members table and attaches it to clustering.members (which checks every row''s run and cluster).';

-- The partitions of runs that no longer exist, emptied when their run was deleted (by
-- an earlier prune: clustering.prune_runs deletes a run's rows and leaves the
-- partition). Rows deleted are still seen by snapshots older than the delete (an
-- export or report reading runs in one snapshot); a dropped table is seen by none, so
-- a partition is dropped a prune later. Dropping one locks clustering.members: a
-- query reading it waits, and a drop that would wait more than 2 s is left to the
-- next prune.
CREATE OR REPLACE FUNCTION clustering.drop_members()
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    v_name text;
    n integer := 0;
BEGIN
    FOR v_name IN
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'clustering.members'::regclass
           AND c.relname NOT IN (SELECT clustering.members_partition(run_id)
                                   FROM clustering.runs)
         ORDER BY 1
    LOOP
        BEGIN
            EXECUTE format('DROP TABLE clustering.%I', v_name);
            n := n + 1;
        EXCEPTION WHEN lock_not_available THEN
            RAISE NOTICE 'clustering.members is being read: partition % is dropped at the next prune',
                v_name;
        END;
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION clustering.drop_members() IS
    'Drops the partitions of clustering.members whose run no longer exists (emptied by an earlier prune); returns how many.';

-- The old layout (one table of every run's members, revisions before 0033): each run's
-- rows into a partition of their own.
DO $$
DECLARE
    v_run bigint;
BEGIN
    IF to_regclass('clustering.members_unpartitioned') IS NULL THEN
        RETURN;
    END IF;
    FOR v_run IN SELECT DISTINCT run_id FROM clustering.members_unpartitioned ORDER BY 1 LOOP
        EXECUTE format('INSERT INTO %s SELECT run_id, enterprise_id, cluster_id, is_core '
                       'FROM clustering.members_unpartitioned WHERE run_id = $1',
                       clustering.begin_members(v_run)) USING v_run;
        PERFORM clustering.attach_members(v_run);
    END LOOP;
    -- CASCADE: the views of the first revisions read it (publish/010_views.sql, run
    -- after this file in every upgrade, makes them again)
    DROP TABLE clustering.members_unpartitioned CASCADE;
END
$$;
