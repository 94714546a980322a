-- The published interface (schema publish).
--   publish.<layer>_of(run)  a layer of any clustering run (table functions; SECURITY
--                            DEFINER so the reader role, which sees publish only, may
--                            call them: SELECT * FROM publish.clusters_of(12);)
--   publish.<layer>          materialized view of <layer>_of(clustering.published_run()),
--                            the latest succeeded run: what QGIS opens.
-- One definition per layer, then: the views cannot drift from the exports of past runs.
-- Each view has a stable integer key with a unique index (QGIS needs one; REFRESH ...
-- CONCURRENTLY needs one), typed geometry in the projected SRID (from the row types
-- below, whose geometry columns carry type and SRID), and comments on every column.
-- Re-runnable: dropped and re-created (grants are re-applied by schema/090_grants.sql).

-- The first revisions made some of these layers plain views (publish.districts until
-- revision 0010): DROP MATERIALIZED VIEW refuses those, so they are dropped as views.
DO $$
DECLARE
    v_name text;
BEGIN
    FOR v_name IN
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'publish' AND c.relkind = 'v'
           AND c.relname IN ('clusters', 'enterprises', 'district_sector_stats', 'tier_stats',
                             'tier_structure', 'districts')
    LOOP
        EXECUTE format('DROP VIEW publish.%I CASCADE', v_name);
    END LOOP;
END
$$;
DROP MATERIALIZED VIEW IF EXISTS publish.clusters, publish.enterprises,
    publish.district_sector_stats, publish.tier_stats, publish.tier_structure CASCADE;
DROP FUNCTION IF EXISTS publish.district_sector_stats_of(bigint), publish.tier_stats_of(bigint),
    publish.tier_structure_of(bigint) CASCADE;
DROP TYPE IF EXISTS publish.cluster_row, publish.enterprise_row CASCADE;  -- and their functions
DO $$
DECLARE
    v_srid integer := (SELECT projected_srid FROM registry.settings);
BEGIN
    EXECUTE format($t$CREATE TYPE publish.cluster_row AS (
        cluster_id bigint, cluster_key bigint, run_id bigint, sector text, sector_name text, label integer,
        n_members integer, n_core integer, tier text, tier_rank integer, district_code text,
        district_name text, area_km2 double precision, density_per_km2 double precision,
        centroid_lon double precision, centroid_lat double precision,
        geom geometry(MultiPolygon, %s))$t$, v_srid);
    EXECUTE format($t$CREATE TYPE publish.enterprise_row AS (
        enterprise_id bigint, credit_code text, name text, sector text, digital_label boolean,
        district_code text, district_name text, size_class text,
        digital_transformation boolean, capital_cny numeric, established date,
        cluster_key bigint, cluster_label integer, dbscan_role text,
        tier text, geom geometry(Point, %s))$t$, v_srid);
END
$$;
COMMENT ON TYPE publish.cluster_row IS 'A row of publish.clusters / publish.clusters_of(run).';
COMMENT ON TYPE publish.enterprise_row IS 'A row of publish.enterprises / publish.enterprises_of(run).';

CREATE OR REPLACE FUNCTION publish.clusters_of(p_run bigint)
RETURNS SETOF publish.cluster_row
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
SELECT c.cluster_id, c.cluster_key, c.run_id, s.code, s.name_en, c.label, c.n_members, c.n_core, c.tier,
       clustering.tier_rank(c.tier), c.district_code, c.district_name, c.area_km2,
       c.density_per_km2, ST_X(ST_Transform(c.centroid, 4326)),
       ST_Y(ST_Transform(c.centroid, 4326)), c.hull
  FROM clustering.clusters c JOIN registry.sectors s USING (sector_id)
 WHERE c.run_id = p_run
$$;
COMMENT ON FUNCTION publish.clusters_of(bigint) IS
    'The clusters of a clustering run (columns as publish.clusters). Example: SELECT * FROM publish.clusters_of(12);';

CREATE MATERIALIZED VIEW publish.clusters AS
SELECT * FROM publish.clusters_of(clustering.published_run());
CREATE UNIQUE INDEX clusters_key ON publish.clusters (cluster_id);
CREATE UNIQUE INDEX clusters_cluster_key ON publish.clusters (cluster_key);
CREATE INDEX clusters_geom_idx ON publish.clusters USING gist (geom);
COMMENT ON MATERIALIZED VIEW publish.clusters IS 'Industrial clusters of the latest clustering run: one polygon (buffered convex hull) per cluster, with size, tier and district.';
COMMENT ON COLUMN publish.clusters.cluster_id IS 'Integer key (unique within the database; new for every run).';
COMMENT ON COLUMN publish.clusters.cluster_key IS 'Persistent key: the same cluster keeps it from run to run (publish.cluster_lineage); unique in a run. Use it in saved queries, styles and joins (publish.enterprises.cluster_key).';
COMMENT ON COLUMN publish.clusters.run_id IS 'Clustering run (publish.cluster_runs).';
COMMENT ON COLUMN publish.clusters.sector IS 'Sector code: comms or software.';
COMMENT ON COLUMN publish.clusters.sector_name IS 'Sector name.';
COMMENT ON COLUMN publish.clusters.label IS 'Cluster number within the sector, 1-based, ordered by smallest member key.';
COMMENT ON COLUMN publish.clusters.n_members IS 'Enterprises in the cluster.';
COMMENT ON COLUMN publish.clusters.n_core IS 'Core enterprises (min points within eps).';
COMMENT ON COLUMN publish.clusters.tier IS 'core, medium or small (method in publish.cluster_runs.tier_method).';
COMMENT ON COLUMN publish.clusters.tier_rank IS '1 core, 2 medium, 3 small (for sorting and styling).';
COMMENT ON COLUMN publish.clusters.district_code IS 'Code of the district holding most members (NULL without boundaries).';
COMMENT ON COLUMN publish.clusters.district_name IS 'District holding most members.';
COMMENT ON COLUMN publish.clusters.area_km2 IS 'Area of the polygon, km2.';
COMMENT ON COLUMN publish.clusters.density_per_km2 IS 'Enterprises per km2 of the polygon.';
COMMENT ON COLUMN publish.clusters.centroid_lon IS 'Mean position of the members, WGS-84 longitude.';
COMMENT ON COLUMN publish.clusters.centroid_lat IS 'Mean position of the members, WGS-84 latitude.';
COMMENT ON COLUMN publish.clusters.geom IS 'Cluster polygon: convex hull of the members buffered by eps/10, projected SRID.';

-- The enterprises of a run: its point set (clustering.in_point_set: active ones, or
-- those existing at its as-of date, in its sectors) plus any member not in that set any
-- more (deactivated since the run), each with its cluster. Without a run (nothing
-- clustered yet): every active enterprise, as noise.
-- Its cluster is named by the persistent cluster_key, not by the run's cluster_id (new
-- every run): an enterprise whose cluster did not change keeps an identical row, so
-- REFRESH ... CONCURRENTLY rewrites only the rows that changed (at a million
-- enterprises, re-inserting them all took 35 s of a 52 s refresh; revision 0029).
-- The registry is read once, the point set tested on its rows (revision 0041; through
-- clustering.run_points it was read twice, 4.0-4.2 s against 3.2-3.5 s at 1,117,610).
-- The one definition is clustering.enterprise_rows, a plain SQL function the planner
-- inlines into the query that calls it: publish.enterprises reads it so (revision 0056).
-- Through publish.enterprises_of, a SECURITY DEFINER function (never inlined), every
-- refresh first copied the whole layer into a tuplestore, 190 MB at 1,117,610
-- enterprises, written to disk beyond work_mem. Not faster for it: the refresh took
-- 4.9-5.5 s either way, five alternating runs each.
CREATE OR REPLACE FUNCTION clustering.enterprise_rows(p_run bigint)
RETURNS SETOF publish.enterprise_row
LANGUAGE sql STABLE AS $$
SELECT e.enterprise_id, e.credit_code, e.name, s.code, e.digital_label, e.district_code,
       e.district_name, e.size_class, e.digital_transformation, e.capital_cny, e.established,
       mc.cluster_key, mc.label,
       CASE WHEN mc.is_core THEN 'core' WHEN mc.enterprise_id IS NOT NULL THEN 'border'
            ELSE 'noise' END,
       mc.tier, e.geom_proj
  FROM registry.enterprises e
  JOIN registry.sectors s USING (sector_id)
  LEFT JOIN clustering.runs r ON r.run_id = p_run
  LEFT JOIN (SELECT m.enterprise_id, m.is_core, c.cluster_key, c.label, c.tier
               FROM clustering.members m JOIN clustering.clusters c ON c.cluster_id = m.cluster_id
              WHERE m.run_id = p_run) mc ON mc.enterprise_id = e.enterprise_id
 WHERE mc.enterprise_id IS NOT NULL
    OR (p_run IS NULL AND e.active)
    OR clustering.in_point_set(e.sector_id, e.active, e.established, e.inactive_since,
                               r.sector_ids, r.as_of)
$$;
COMMENT ON FUNCTION clustering.enterprise_rows(bigint) IS
    'The rows of publish.enterprises for a clustering run (inlined by the planner; the reader role calls publish.enterprises_of).';

CREATE OR REPLACE FUNCTION publish.enterprises_of(p_run bigint)
RETURNS SETOF publish.enterprise_row
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
SELECT * FROM clustering.enterprise_rows(p_run)
$$;
COMMENT ON FUNCTION publish.enterprises_of(bigint) IS
    'The enterprises of a clustering run, clustered or noise (columns as publish.enterprises). Example: SELECT * FROM publish.enterprises_of(12) WHERE cluster_key IS NOT NULL;';

-- clustering.published holds one row (its run_id NULL before the first publication).
CREATE MATERIALIZED VIEW publish.enterprises AS
SELECT e.* FROM clustering.published p CROSS JOIN LATERAL clustering.enterprise_rows(p.run_id) e;
CREATE UNIQUE INDEX enterprises_key ON publish.enterprises (enterprise_id);
CREATE INDEX enterprises_geom_idx ON publish.enterprises USING gist (geom);
CREATE INDEX enterprises_cluster_idx ON publish.enterprises (cluster_key);
COMMENT ON MATERIALIZED VIEW publish.enterprises IS 'Every active, accepted enterprise as a point, with its cluster in the latest clustering run (NULL for noise).';
COMMENT ON COLUMN publish.enterprises.enterprise_id IS 'Integer key, stable across loads.';
COMMENT ON COLUMN publish.enterprises.credit_code IS 'Unified social credit code.';
COMMENT ON COLUMN publish.enterprises.name IS 'Enterprise name.';
COMMENT ON COLUMN publish.enterprises.sector IS 'Sector code: comms or software.';
COMMENT ON COLUMN publish.enterprises.digital_label IS 'Labelled digital (in the comms group, as in the study).';
COMMENT ON COLUMN publish.enterprises.district_code IS 'District code (from boundaries; NULL without them).';
COMMENT ON COLUMN publish.enterprises.district_name IS 'District (boundaries when loaded, else as registered).';
COMMENT ON COLUMN publish.enterprises.size_class IS 'micro, small, medium or large.';
COMMENT ON COLUMN publish.enterprises.digital_transformation IS 'Digital-transformation flag from the registry file.';
COMMENT ON COLUMN publish.enterprises.capital_cny IS 'Registered capital in CNY.';
COMMENT ON COLUMN publish.enterprises.established IS 'Establishment date.';
COMMENT ON COLUMN publish.enterprises.cluster_key IS 'Its cluster in the latest run (publish.clusters.cluster_key, persistent from run to run); NULL for noise.';
COMMENT ON COLUMN publish.enterprises.cluster_label IS 'Cluster number within the sector.';
COMMENT ON COLUMN publish.enterprises.dbscan_role IS 'core, border or noise.';
COMMENT ON COLUMN publish.enterprises.tier IS 'Tier of its cluster (core, medium, small); NULL for noise.';
COMMENT ON COLUMN publish.enterprises.geom IS 'Location, projected SRID.';

-- How the statistics name a cluster's district when neither boundaries nor the registry
-- gave one (the one place of that rule).
CREATE OR REPLACE FUNCTION publish.district_label(p_name text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(p_name, '(unknown)')
$$;
COMMENT ON FUNCTION publish.district_label(text) IS
    'A district name for the statistics: the name, or (unknown) when there is none.';

CREATE OR REPLACE FUNCTION publish.district_sector_stats_of(p_run bigint)
RETURNS TABLE (stat_id integer, sector text, sector_name text, district_code text, district_name text,
                clusters integer, max_enterprises integer, mean_enterprises numeric,
                share_of_city_clusters numeric, enterprises_in_clusters integer,
                mean_density_per_km2 numeric)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
WITH c AS (SELECT * FROM clustering.clusters WHERE run_id = p_run),
city AS (SELECT sector_id, count(*) AS n FROM c GROUP BY sector_id)
SELECT (row_number() OVER (ORDER BY c.sector_id, c.district_code NULLS LAST,
                                    c.district_name NULLS LAST))::int AS stat_id,
       s.code AS sector, s.name_en AS sector_name, c.district_code,
       publish.district_label(c.district_name) AS district_name,
       count(*)::int AS clusters,
       max(c.n_members) AS max_enterprises,
       round(avg(c.n_members), 2) AS mean_enterprises,
       round(count(*)::numeric / max(city.n), 4) AS share_of_city_clusters,
       sum(c.n_members)::int AS enterprises_in_clusters,
       round(avg(c.density_per_km2)::numeric, 1) AS mean_density_per_km2
  FROM c JOIN registry.sectors s USING (sector_id) JOIN city USING (sector_id)
 GROUP BY c.sector_id, s.code, s.name_en, c.district_code, c.district_name
$$;
COMMENT ON FUNCTION publish.district_sector_stats_of(bigint) IS
    'Clusters per district and sector of a clustering run (columns as publish.district_sector_stats).';

CREATE MATERIALIZED VIEW publish.district_sector_stats AS
SELECT * FROM publish.district_sector_stats_of(clustering.published_run());
CREATE UNIQUE INDEX district_sector_stats_key ON publish.district_sector_stats (stat_id);
COMMENT ON MATERIALIZED VIEW publish.district_sector_stats IS 'Clusters per district and sector (the study''s Table 1) for the latest run.';
COMMENT ON COLUMN publish.district_sector_stats.stat_id IS 'Integer key (row number by sector and district).';
COMMENT ON COLUMN publish.district_sector_stats.sector IS 'Sector code.';
COMMENT ON COLUMN publish.district_sector_stats.sector_name IS 'Sector name.';
COMMENT ON COLUMN publish.district_sector_stats.district_code IS 'District code (NULL without boundaries).';
COMMENT ON COLUMN publish.district_sector_stats.district_name IS 'District.';
COMMENT ON COLUMN publish.district_sector_stats.clusters IS 'Number of clusters whose majority district this is.';
COMMENT ON COLUMN publish.district_sector_stats.max_enterprises IS 'Enterprises in the largest cluster.';
COMMENT ON COLUMN publish.district_sector_stats.mean_enterprises IS 'Mean enterprises per cluster.';
COMMENT ON COLUMN publish.district_sector_stats.share_of_city_clusters IS 'Share of the sector''s clusters in the whole city (0-1).';
COMMENT ON COLUMN publish.district_sector_stats.enterprises_in_clusters IS 'Enterprises in these clusters.';
COMMENT ON COLUMN publish.district_sector_stats.mean_density_per_km2 IS 'Mean cluster density, enterprises per km2.';

CREATE OR REPLACE FUNCTION publish.tier_stats_of(p_run bigint)
RETURNS TABLE (stat_id integer, sector text, tier text, clusters integer, enterprises integer,
                mean_size numeric, mean_density_per_km2 numeric, districts integer,
                districts_present text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
SELECT (row_number() OVER (ORDER BY c.sector_id, min(clustering.tier_rank(c.tier))))::int
           AS stat_id,
       s.code AS sector, c.tier,
       count(*)::int AS clusters,
       sum(c.n_members)::int AS enterprises,
       round(avg(c.n_members), 2) AS mean_size,
       round(avg(c.density_per_km2)::numeric, 1) AS mean_density_per_km2,
       count(DISTINCT publish.district_label(c.district_name))::int AS districts,
       string_agg(DISTINCT publish.district_label(c.district_name), ', ') AS districts_present
  FROM clustering.clusters c JOIN registry.sectors s USING (sector_id)
 WHERE c.run_id = p_run
 GROUP BY c.sector_id, s.code, c.tier
$$;
COMMENT ON FUNCTION publish.tier_stats_of(bigint) IS
    'Tiers per sector of a clustering run (columns as publish.tier_stats).';

CREATE MATERIALIZED VIEW publish.tier_stats AS
SELECT * FROM publish.tier_stats_of(clustering.published_run());
CREATE UNIQUE INDEX tier_stats_key ON publish.tier_stats (stat_id);
COMMENT ON MATERIALIZED VIEW publish.tier_stats IS 'The core / medium / small hierarchy per sector for the latest run.';
COMMENT ON COLUMN publish.tier_stats.stat_id IS 'Integer key (row number by sector and tier).';
COMMENT ON COLUMN publish.tier_stats.sector IS 'Sector code.';
COMMENT ON COLUMN publish.tier_stats.tier IS 'core, medium or small.';
COMMENT ON COLUMN publish.tier_stats.clusters IS 'Clusters in the tier.';
COMMENT ON COLUMN publish.tier_stats.enterprises IS 'Enterprises in those clusters.';
COMMENT ON COLUMN publish.tier_stats.mean_size IS 'Mean enterprises per cluster.';
COMMENT ON COLUMN publish.tier_stats.mean_density_per_km2 IS 'Mean cluster density, enterprises per km2.';
COMMENT ON COLUMN publish.tier_stats.districts IS 'Number of districts with a cluster of the tier.';
COMMENT ON COLUMN publish.tier_stats.districts_present IS 'Those districts.';

-- From the run's cluster profiles (clustering.cluster_profiles, revision 0060): the
-- registry as the run read it, so a run's figures stay what they were when it ran.
CREATE OR REPLACE FUNCTION publish.tier_structure_of(p_run bigint)
RETURNS TABLE (stat_id integer, tier text, size_class text, enterprises integer,
                share_of_tier numeric, micro_small_share_of_tier numeric,
                digital_coverage numeric, mean_capital_cny numeric)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
WITH m AS (
    SELECT c.tier, p.size_class, sum(p.n_members) AS n, sum(p.n_digital) AS n_digital,
           sum(p.n_digital_known) AS n_digital_known, sum(p.capital_sum_cny) AS capital,
           sum(p.n_capital) AS n_capital
      FROM clustering.cluster_profiles p
      JOIN clustering.clusters c ON c.cluster_id = p.cluster_id
     WHERE c.run_id = p_run
     GROUP BY c.tier, p.size_class)
SELECT (row_number() OVER (ORDER BY clustering.tier_rank(m.tier),
                                    CASE m.size_class WHEN 'micro' THEN 1 WHEN 'small' THEN 2
                                         WHEN 'medium' THEN 3 WHEN 'large' THEN 4 ELSE 5 END))::int
           AS stat_id,
       m.tier, m.size_class,
       m.n::int AS enterprises,
       round(m.n / sum(m.n) OVER (PARTITION BY m.tier), 4) AS share_of_tier,
       round(coalesce(sum(m.n) FILTER (WHERE m.size_class IN ('micro', 'small'))
                          OVER (PARTITION BY m.tier), 0)
             / sum(m.n) OVER (PARTITION BY m.tier), 4) AS micro_small_share_of_tier,
       round(m.n_digital::numeric / nullif(m.n_digital_known, 0), 4) AS digital_coverage,
       round(m.capital / nullif(m.n_capital, 0), 0) AS mean_capital_cny
  FROM m
$$;
COMMENT ON FUNCTION publish.tier_structure_of(bigint) IS
    'Enterprise structure per tier and size class of a clustering run (columns as publish.tier_structure).';

CREATE MATERIALIZED VIEW publish.tier_structure AS
SELECT * FROM publish.tier_structure_of(clustering.published_run());
CREATE UNIQUE INDEX tier_structure_key ON publish.tier_structure (stat_id);
COMMENT ON MATERIALIZED VIEW publish.tier_structure IS 'Enterprise structure per tier and size class (the survey''s figures) for the latest run.';
COMMENT ON COLUMN publish.tier_structure.stat_id IS 'Integer key (row number by tier and size class).';
COMMENT ON COLUMN publish.tier_structure.tier IS 'core, medium or small.';
COMMENT ON COLUMN publish.tier_structure.size_class IS 'micro, small, medium, large or unknown.';
COMMENT ON COLUMN publish.tier_structure.enterprises IS 'Clustered enterprises of this tier and size class.';
COMMENT ON COLUMN publish.tier_structure.share_of_tier IS 'Their share of the tier''s clustered enterprises (0-1).';
COMMENT ON COLUMN publish.tier_structure.micro_small_share_of_tier IS 'Share of micro and small enterprises in the tier (0-1).';
COMMENT ON COLUMN publish.tier_structure.digital_coverage IS 'Share with the digital-transformation flag (0-1; unknown flags left out).';
COMMENT ON COLUMN publish.tier_structure.mean_capital_cny IS 'Mean registered capital, CNY.';

CREATE OR REPLACE VIEW publish.cluster_runs AS
SELECT r.run_id, r.status, r.started_at, r.finished_at, r.eps_m, r.min_points, r.srid,
       ARRAY(SELECT s.code FROM registry.sectors s WHERE s.sector_id = ANY (r.sector_ids)
             ORDER BY s.sector_id) AS sectors,
       r.as_of, r.tier_method, r.tier_params, r.n_points, r.n_clustered, r.n_clusters, r.timings,
       r.run_id = clustering.published_run() AS published, r.previous_run_id, r.method
  FROM clustering.runs r;
COMMENT ON VIEW publish.cluster_runs IS 'Clustering runs with their parameters, counts and timings; published marks the run publish shows.';
COMMENT ON COLUMN publish.cluster_runs.run_id IS 'Integer key.';
COMMENT ON COLUMN publish.cluster_runs.status IS 'running, succeeded, failed or abandoned.';
COMMENT ON COLUMN publish.cluster_runs.started_at IS 'Start.';
COMMENT ON COLUMN publish.cluster_runs.finished_at IS 'End.';
COMMENT ON COLUMN publish.cluster_runs.eps_m IS 'DBSCAN eps, metres.';
COMMENT ON COLUMN publish.cluster_runs.min_points IS 'DBSCAN min points.';
COMMENT ON COLUMN publish.cluster_runs.srid IS 'Projected SRID clustered in.';
COMMENT ON COLUMN publish.cluster_runs.sectors IS 'Sectors clustered.';
COMMENT ON COLUMN publish.cluster_runs.as_of IS 'Snapshot date, if any.';
COMMENT ON COLUMN publish.cluster_runs.tier_method IS 'Tier method.';
COMMENT ON COLUMN publish.cluster_runs.tier_params IS 'Tier thresholds used.';
COMMENT ON COLUMN publish.cluster_runs.n_points IS 'Enterprises clustered.';
COMMENT ON COLUMN publish.cluster_runs.n_clustered IS 'Enterprises in a cluster.';
COMMENT ON COLUMN publish.cluster_runs.n_clusters IS 'Clusters.';
COMMENT ON COLUMN publish.cluster_runs.timings IS 'Seconds per step.';
COMMENT ON COLUMN publish.cluster_runs.published IS 'True for the run publish shows.';
COMMENT ON COLUMN publish.cluster_runs.previous_run_id IS 'The run its clusters were matched to (publish.cluster_lineage).';
COMMENT ON COLUMN publish.cluster_runs.method IS 'How the labels were found: auto, points or cells (the same labels; per part in timings->''parts'').';

CREATE OR REPLACE VIEW publish.cluster_lineage AS
SELECT l.run_id, r.previous_run_id, l.cluster_key, l.cluster_id, s.code AS sector, l.event,
       l.parent_keys, l.size_before, l.size_after, l.size_after - l.size_before AS size_change,
       l.shared_members
  FROM clustering.lineage l
  JOIN clustering.runs r USING (run_id)
  LEFT JOIN clustering.clusters c ON c.cluster_id = l.cluster_id
  LEFT JOIN clustering.clusters pc ON l.cluster_id IS NULL AND pc.run_id = r.previous_run_id
                                  AND pc.cluster_key = l.cluster_key
  LEFT JOIN registry.sectors s ON s.sector_id = coalesce(c.sector_id, pc.sector_id);
COMMENT ON VIEW publish.cluster_lineage IS 'What happened to each cluster between a run and its previous run: born, stable, grew, shrank, merged, split, dissolved. Key: (run_id, cluster_key).';
COMMENT ON COLUMN publish.cluster_lineage.run_id IS 'The later run.';
COMMENT ON COLUMN publish.cluster_lineage.previous_run_id IS 'The earlier run it was matched to.';
COMMENT ON COLUMN publish.cluster_lineage.cluster_key IS 'Persistent cluster key (publish.clusters.cluster_key).';
COMMENT ON COLUMN publish.cluster_lineage.cluster_id IS 'The cluster in the later run; NULL when dissolved.';
COMMENT ON COLUMN publish.cluster_lineage.sector IS 'Sector code.';
COMMENT ON COLUMN publish.cluster_lineage.event IS 'born, stable, grew, shrank, merged, split or dissolved.';
COMMENT ON COLUMN publish.cluster_lineage.parent_keys IS 'Keys of the earlier clusters it came from (all of them for merged).';
COMMENT ON COLUMN publish.cluster_lineage.size_before IS 'Members of those earlier clusters together.';
COMMENT ON COLUMN publish.cluster_lineage.size_after IS 'Members in the later run (0 when dissolved).';
COMMENT ON COLUMN publish.cluster_lineage.size_change IS 'size_after - size_before.';
COMMENT ON COLUMN publish.cluster_lineage.shared_members IS 'Members shared with the earlier clusters.';

DROP MATERIALIZED VIEW IF EXISTS publish.districts;
CREATE MATERIALIZED VIEW publish.districts AS
SELECT district_id, code, name, geom_proj AS geom FROM registry.districts;
CREATE UNIQUE INDEX districts_key ON publish.districts (district_id);
CREATE INDEX districts_geom_idx ON publish.districts USING gist (geom);
COMMENT ON MATERIALIZED VIEW publish.districts IS 'District boundaries (load-districts), for maps and joins.';
COMMENT ON COLUMN publish.districts.district_id IS 'Integer key.';
COMMENT ON COLUMN publish.districts.code IS 'District code (GB/T 2260).';
COMMENT ON COLUMN publish.districts.name IS 'District name.';
COMMENT ON COLUMN publish.districts.geom IS 'Boundary, projected SRID.';
