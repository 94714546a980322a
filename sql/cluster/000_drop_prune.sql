-- Downgrade of the nightly revision.
DROP FUNCTION IF EXISTS clustering.published_run_is(double precision, integer, text[], text, jsonb,
    date);
DROP FUNCTION IF EXISTS clustering.registry_changed_since_published();
DROP FUNCTION IF EXISTS clustering.prune_runs(integer);
