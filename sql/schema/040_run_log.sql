-- Run log helpers shared by loads and clustering runs.

-- A run whose server process is gone while its row still says 'running' was killed
-- (kill -9, crash, restart). Mark it abandoned; called at the start of every job, once
-- the job holds its advisory lock (p_job: the job, 'load', 'cluster' or 'nightly').
-- Every job holds its lock from before it records its run until it ends, so the holder
-- knows that every run of its own kind still marked running is dead, even while the
-- dead process is still exiting: a server process frees its advisory locks before it
-- leaves pg_stat_activity, and in that moment the check by process alone (the only one
-- for the other kind) takes the run for alive, which left it 'running' until the next
-- job (a load killed just before the next one started stayed 'running' past it).
DROP FUNCTION IF EXISTS registry.abandon_dead_runs();  -- before revision 0031
CREATE OR REPLACE FUNCTION registry.abandon_dead_runs(p_job text DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer := 0;
    k integer;
BEGIN
    UPDATE registry.load_runs r
       SET status = 'abandoned', finished_at = clock_timestamp(),
           error = 'the loading process ended without finishing (killed or disconnected)'
     WHERE r.status = 'running'
       AND (p_job IS NOT DISTINCT FROM 'load'
            OR NOT EXISTS (SELECT FROM pg_stat_activity a
                            WHERE a.pid = r.backend_pid AND a.backend_start <= r.started_at));
    GET DIAGNOSTICS k = ROW_COUNT;
    n := n + k;
    UPDATE clustering.runs r
       SET status = 'abandoned', finished_at = clock_timestamp(),
           error = 'the clustering process ended without finishing (killed or disconnected)'
     WHERE r.status = 'running'
       AND (p_job IS NOT DISTINCT FROM 'cluster'
            OR NOT EXISTS (SELECT FROM pg_stat_activity a
                            WHERE a.pid = r.backend_pid AND a.backend_start <= r.started_at));
    GET DIAGNOSTICS k = ROW_COUNT;
    RETURN n + k;
END
$$;
COMMENT ON FUNCTION registry.abandon_dead_runs(text) IS
    'Marks load and clustering runs whose process died as abandoned (all running runs of p_job, whose advisory lock the caller holds); returns how many.';
