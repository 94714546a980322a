-- Run log helpers shared by loads and clustering runs.

-- A run whose server process is gone while its row still says 'running' was killed
-- (kill -9, crash, restart). Mark it abandoned; called at the start of every job.
CREATE OR REPLACE FUNCTION registry.abandon_dead_runs()
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer := 0;
    k integer;
BEGIN
    UPDATE registry.load_runs r
       SET status = 'abandoned', finished_at = clock_timestamp(),
           error = 'the loading process ended without finishing (killed or disconnected)'
     WHERE r.status = 'running'
       AND NOT EXISTS (SELECT FROM pg_stat_activity a
                       WHERE a.pid = r.backend_pid AND a.backend_start <= r.started_at);
    GET DIAGNOSTICS k = ROW_COUNT;
    n := n + k;
    UPDATE clustering.runs r
       SET status = 'abandoned', finished_at = clock_timestamp(),
           error = 'the clustering process ended without finishing (killed or disconnected)'
     WHERE r.status = 'running'
       AND NOT EXISTS (SELECT FROM pg_stat_activity a
                       WHERE a.pid = r.backend_pid AND a.backend_start <= r.started_at);
    GET DIAGNOSTICS k = ROW_COUNT;
    RETURN n + k;
END
$$;
COMMENT ON FUNCTION registry.abandon_dead_runs() IS
    'Marks load and clustering runs whose process died as abandoned; returns how many.';
