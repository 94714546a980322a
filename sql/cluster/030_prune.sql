-- Pruning old clustering runs: keep the newest p_keep succeeded runs, the published
-- run always, and every run still running; failed and abandoned runs older than the
-- kept ones go too. Clusters and members go with their run (ON DELETE CASCADE); the
-- partitions emptied by the previous prune are dropped (clustering.drop_members).
CREATE OR REPLACE FUNCTION clustering.prune_runs(p_keep integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    IF p_keep IS NULL OR p_keep < 1 THEN
        RAISE EXCEPTION 'keep runs must be at least 1, not %', p_keep
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM clustering.drop_members();
    DELETE FROM clustering.runs r
     WHERE r.status <> 'running'
       AND r.run_id IS DISTINCT FROM clustering.published_run()
       AND r.run_id < coalesce((SELECT min(run_id) FROM (
                                    SELECT run_id FROM clustering.runs WHERE status = 'succeeded'
                                     ORDER BY run_id DESC LIMIT p_keep) k), 0);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION clustering.prune_runs(integer) IS
    'Deletes clustering runs older than the newest p_keep succeeded ones (never the published run, never a running one); returns how many.';

-- True when the registry changed since the published run was computed, or no run is
-- published: the nightly job skips clustering otherwise.
CREATE OR REPLACE FUNCTION clustering.registry_changed_since_published()
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT clustering.published_run() IS NULL
        OR EXISTS (SELECT FROM registry.load_runs l, clustering.runs r
                    WHERE r.run_id = clustering.published_run()
                      AND l.status = 'succeeded' AND l.finished_at > r.started_at
                      AND (l.kind = 'districts'
                           OR coalesce(l.rows_inserted, 0) + coalesce(l.rows_updated, 0)
                              + coalesce(l.rows_deactivated, 0) > 0))
$$;
COMMENT ON FUNCTION clustering.registry_changed_since_published() IS
    'True when a load changed enterprises or districts after the published run started (or nothing is published).';

-- Whether the published run is the run that these parameters would make (the labelling
-- method aside: every method gives the same labels): eps, min points, sectors (NULL:
-- every sector there is now), tier method and parameters (as given: a succeeded run
-- records them under 'params' beside its thresholds), as-of date (NULL: the
-- registry as it is), in the projected SRID of the registry. The nightly job keeps
-- publish only when it is, and the registry did not change since
-- (registry_changed_since_published): a run an analyst published by hand with other
-- parameters is replaced by the nightly one (revision 0043; before, only eps and min
-- points were compared).
CREATE OR REPLACE FUNCTION clustering.published_run_is(
    p_eps double precision, p_min_points integer, p_sectors text[], p_tier_method text,
    p_tier_params jsonb, p_as_of date)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT FROM clustering.runs r
                    WHERE r.run_id = clustering.published_run()
                      AND r.eps_m = p_eps AND r.min_points = p_min_points
                      AND r.sector_ids = clustering.sector_ids(p_sectors)
                      AND r.tier_method = p_tier_method
                      AND r.tier_params -> 'params' = coalesce(p_tier_params, '{}')  -- as given
                      AND r.as_of IS NOT DISTINCT FROM p_as_of
                      AND r.srid = (SELECT projected_srid FROM registry.settings))
$$;
COMMENT ON FUNCTION clustering.published_run_is(double precision, integer, text[], text, jsonb, date) IS
    'True when the published run has these parameters (eps, min points, sectors (NULL: all), tier method and parameters, as-of date); the labelling method is not compared.';
