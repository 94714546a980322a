-- Downgrade of the lineage revision (a step towards base: clustering.compute and the
-- publish row types of the current sql/ files expect lineage).
DROP VIEW IF EXISTS publish.cluster_lineage;
DROP FUNCTION IF EXISTS clustering.trace_lineage(bigint, double precision, double precision);
DROP FUNCTION IF EXISTS clustering.previous_run(bigint);
DROP TABLE IF EXISTS clustering.lineage;
ALTER TABLE IF EXISTS clustering.runs DROP COLUMN IF EXISTS previous_run_id CASCADE;
ALTER TABLE IF EXISTS clustering.clusters DROP COLUMN IF EXISTS cluster_key CASCADE;
DROP SEQUENCE IF EXISTS clustering.cluster_key_seq;
DROP FUNCTION IF EXISTS clustering.k_distance(integer[], text[], date, integer);
DROP FUNCTION IF EXISTS clustering.sensitivity(double precision[], integer[], text[], date);
DROP FUNCTION IF EXISTS clustering.stage_sweep_points(text[], date);
