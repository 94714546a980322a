-- Downgrade of the nightly revision.
DROP FUNCTION IF EXISTS clustering.registry_changed_since_published();
DROP FUNCTION IF EXISTS clustering.prune_runs(integer);
