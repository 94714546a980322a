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
       AND registry.run_is_dead('load', p_job, r.backend_pid, r.started_at);
    GET DIAGNOSTICS k = ROW_COUNT;
    n := n + k;
    UPDATE clustering.runs r
       SET status = 'abandoned', finished_at = clock_timestamp(),
           error = 'the clustering process ended without finishing (killed or disconnected)'
     WHERE r.status = 'running'
       AND registry.run_is_dead('cluster', p_job, r.backend_pid, r.started_at);
    GET DIAGNOSTICS k = ROW_COUNT;
    RETURN n + k;
END
$$;
COMMENT ON FUNCTION registry.abandon_dead_runs(text) IS
    'Marks load and clustering runs whose process died as abandoned (all running runs of p_job, whose advisory lock the caller holds); returns how many.';

-- The rule, for a run of kind p_kind still marked running: dead when the caller's job
-- is of that kind (it holds the kind's lock), or when the run's process is gone.
CREATE OR REPLACE FUNCTION registry.run_is_dead(p_kind text, p_job text, p_pid integer,
                                                p_started timestamptz)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT p_job IS NOT DISTINCT FROM p_kind
        OR NOT EXISTS (SELECT FROM pg_stat_activity a
                        WHERE a.pid = p_pid AND a.backend_start <= p_started)
$$;
COMMENT ON FUNCTION registry.run_is_dead(text, text, integer, timestamptz) IS
    'Whether a running run of kind p_kind (load, cluster) is dead, for a caller running job p_job: same kind, or its process (p_pid, started before p_started) gone.';
