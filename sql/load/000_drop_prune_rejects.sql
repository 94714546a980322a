-- Downgrade of revision 0070.
DROP FUNCTION IF EXISTS registry.prune_rejects(integer);
ALTER TABLE registry.load_runs DROP COLUMN IF EXISTS rejects_pruned_at;
