-- Refreshing the published views, and the one-call clustering run for psql.

-- SECURITY DEFINER: REFRESH needs the views' owner; the loader role may call this and
-- nothing else of the owner's rights. CONCURRENTLY: readers keep the old rows until
-- the refreshing transaction commits, never an empty layer.
-- The one exception is the first publication of clusters: while publish.clusters is
-- empty, publish.enterprises shows every enterprise as noise, and the first run
-- changes most of its rows. A concurrent refresh then deletes and re-inserts them one
-- by one (17-30 s at 1,117,610 enterprises); a plain one writes the new rows and
-- builds the indexes in bulk (6.4 s). Readers of publish.enterprises then wait for
-- the run to commit (they still never see it empty); from then on they are never held.
-- A plain refresh is not MVCC-safe: its rows are visible to snapshots taken before it
-- committed. A reader that takes one snapshot for several layers would pair them with
-- the older publish.clusters; so the refresh holds clustering.runs exclusively, and such
-- readers lock it (through publish.cluster_runs) before their snapshot
-- (industry_clusters.db.snapshot): they wait for this commit.
-- default_statistics_target 10: a concurrent refresh analyzes the new contents before
-- comparing them with the old; 3,000 sampled rows plan that as well as 30,000 (0.3 s
-- less for publish.enterprises at 112,000 enterprises).
-- The server's work_mem: the concurrent refresh joins the new rows of
-- publish.enterprises to the old by a hash of the whole layer (250 MB at 1,117,610
-- enterprises), in batches on disk below that, yet 4MB, 64MB and 256MB took the same
-- 5.2-6.4 s, alternating (revision 0059 dropped the 256MB of revision 0056).
CREATE OR REPLACE FUNCTION clustering.refresh_published()
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public
SET default_statistics_target = 10 AS $$
DECLARE
    v_first boolean := NOT EXISTS (SELECT FROM publish.clusters);  -- no cluster shown yet
BEGIN
    IF v_first THEN
        LOCK TABLE clustering.runs IN ACCESS EXCLUSIVE MODE;
    END IF;
    -- What the views are refreshed to (clustering.published_run): the latest succeeded
    -- run, read once this refresh holds the row, by a statement of its own, so from a
    -- snapshot taken after the wait: a refresh that waited for a run's transaction to
    -- commit publishes that run, not the one before (a single UPDATE read the runs from
    -- its snapshot of before the wait).
    PERFORM FROM clustering.published FOR UPDATE;
    UPDATE clustering.published
       SET run_id = (SELECT max(run_id) FROM clustering.runs WHERE status = 'succeeded');
    IF v_first THEN
        REFRESH MATERIALIZED VIEW publish.enterprises;
    ELSE
        REFRESH MATERIALIZED VIEW CONCURRENTLY publish.enterprises;
    END IF;
    REFRESH MATERIALIZED VIEW CONCURRENTLY publish.clusters;
    REFRESH MATERIALIZED VIEW CONCURRENTLY publish.district_sector_stats;
    REFRESH MATERIALIZED VIEW CONCURRENTLY publish.tier_stats;
    REFRESH MATERIALIZED VIEW CONCURRENTLY publish.tier_structure;
    REFRESH MATERIALIZED VIEW CONCURRENTLY publish.districts;
END
$$;
COMMENT ON FUNCTION clustering.refresh_published() IS
    'Publishes the latest succeeded run (clustering.published) and refreshes every materialized view in publish to it (concurrently: readers never see an empty layer; publish.enterprises is rebuilt instead while no cluster is published yet).';

DROP FUNCTION IF EXISTS clustering.run(double precision, integer, text[], text, jsonb, date);
CREATE OR REPLACE FUNCTION clustering.run(
    p_eps double precision DEFAULT 500, p_min_points integer DEFAULT 30,
    p_sectors text[] DEFAULT NULL, p_tier_method text DEFAULT 'jenks',
    p_tier_params jsonb DEFAULT '{}', p_as_of date DEFAULT NULL, p_method text DEFAULT 'auto')
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_run bigint;
BEGIN
    v_run := clustering.start_run(p_eps, p_min_points, p_sectors, p_tier_method, p_tier_params,
                                  p_as_of, p_method);
    PERFORM clustering.compute(v_run);
    PERFORM clustering.refresh_published();
    RETURN v_run;
END
$$;
COMMENT ON FUNCTION clustering.run(double precision, integer, text[], text, jsonb, date, text) IS
    'Runs a whole clustering (validate, cluster, tiers, refresh publish) in the calling transaction; returns the run id. Example: SELECT clustering.run(500, 30);';
