-- Downgrade of the clustering/publish revision.
DROP FUNCTION IF EXISTS publish.export_geom(geometry, text);
DROP FUNCTION IF EXISTS clustering.run(double precision, integer, text[], text, jsonb, date, text);
DROP FUNCTION IF EXISTS clustering.run(double precision, integer, text[], text, jsonb, date);
DROP FUNCTION IF EXISTS clustering.refresh_published();
DROP VIEW IF EXISTS publish.cluster_lineage, publish.cluster_runs;
DROP MATERIALIZED VIEW IF EXISTS publish.districts;
DROP MATERIALIZED VIEW IF EXISTS publish.tier_structure, publish.tier_stats,
    publish.district_sector_stats, publish.enterprises, publish.clusters;
DROP FUNCTION IF EXISTS publish.district_sector_stats_of(bigint), publish.tier_stats_of(bigint),
    publish.tier_structure_of(bigint), publish.clusters_of(bigint), publish.enterprises_of(bigint),
    clustering.enterprise_rows(bigint);
DROP TYPE IF EXISTS publish.cluster_row, publish.enterprise_row;
DROP FUNCTION IF EXISTS publish.district_label(text);
DROP FUNCTION IF EXISTS clustering.fail_run(bigint, text);
DROP FUNCTION IF EXISTS clustering.compute(bigint);
DROP FUNCTION IF EXISTS clustering.cl_out_profiles();
DROP FUNCTION IF EXISTS clustering.analyze_run_tables();
DROP FUNCTION IF EXISTS clustering.hold_registry();
DROP FUNCTION IF EXISTS clustering.run_points(bigint);
DROP FUNCTION IF EXISTS clustering.sector_ids(text[]);
DROP FUNCTION IF EXISTS clustering.check_dbscan_params(double precision[], integer[]);
DROP FUNCTION IF EXISTS clustering.points_for(smallint[], date);
DROP FUNCTION IF EXISTS clustering.in_point_set(smallint, boolean, date, date, smallint[], date);
DROP FUNCTION IF EXISTS clustering.start_run(double precision, integer, text[], text, jsonb, date, text);
DROP FUNCTION IF EXISTS clustering.start_run(double precision, integer, text[], text, jsonb, date);
DROP FUNCTION IF EXISTS clustering.published_run();
DROP FUNCTION IF EXISTS clustering.assign_tiers(bigint, text, jsonb);
DROP FUNCTION IF EXISTS clustering.jenks3(integer[]);
DROP FUNCTION IF EXISTS clustering.tier_rank(text);
