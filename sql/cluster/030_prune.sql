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
