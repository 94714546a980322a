-- A clustering run, inside the database:
--   clustering.start_run(...)  validates parameters, records a 'running' run, returns its id
--   clustering.compute(run)    clusters, builds cluster rows, tiers, marks the run succeeded
--   clustering.run(...)        both, for analysts in psql:  SELECT clustering.run(500, 30);
-- The CLI commits start_run on its own, then runs compute + refresh in one transaction:
-- a failure or a kill changes nothing readers see.

-- The run publish shows: clustering.published, set by clustering.refresh_published
-- (the latest succeeded run at the last refresh; before revision 0044 it was the
-- latest succeeded run, published or not).
-- SECURITY DEFINER: publish.cluster_runs calls it for the reader role, which may
-- execute it (schema/090_grants.sql) but not read the clustering schema.
CREATE OR REPLACE FUNCTION clustering.published_run()
RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT run_id FROM clustering.published
$$;
COMMENT ON FUNCTION clustering.published_run() IS 'The run publish shows (the latest succeeded run at the last refresh of publish).';

-- Whether an enterprise (its sector, active flag, establishment and deactivation dates)
-- is a point of a point set (sectors, as-of date; NULL: active now). The one definition
-- of a point set: clustering.points_for (runs, the sweep, the k-distance curve) and
-- clustering.enterprise_rows use it. A plain SQL expression, inlined where it is called,
-- so that a query can test it on the rows it already reads: publish.enterprises_of took
-- 0.6-0.8 s longer at 1,117,610 enterprises when it read the table a second time
-- through clustering.run_points.
CREATE OR REPLACE FUNCTION clustering.in_point_set(
    p_sector_id smallint, p_active boolean, p_established date, p_inactive_since date,
    p_sector_ids smallint[], p_as_of date)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT p_sector_id = ANY (p_sector_ids)
       AND CASE WHEN p_as_of IS NULL THEN p_active
                ELSE coalesce(p_established <= p_as_of, false)
                     AND (p_active OR p_inactive_since > p_as_of) END
$$;
COMMENT ON FUNCTION clustering.in_point_set(smallint, boolean, date, date, smallint[], date) IS
    'Whether an enterprise belongs to the point set of some sectors, active now (as-of NULL) or existing at the as-of date.';

-- The enterprises to cluster for given sectors and as-of date (NULL: active now), with
-- what a run keeps of them besides its labels: district (of its clusters) and the
-- attributes of the cluster profiles (revision 0060 added those; a new row type, so the
-- function and run_points are dropped and made again).
DROP FUNCTION IF EXISTS clustering.run_points(bigint);
DROP FUNCTION IF EXISTS clustering.points_for(smallint[], date);
CREATE FUNCTION clustering.points_for(p_sector_ids smallint[], p_as_of date)
RETURNS TABLE (enterprise_id bigint, sector_id smallint, geom geometry, district_code text,
               district_name text, size_class text, digital_transformation boolean,
               capital_cny numeric)
LANGUAGE sql STABLE AS $$
    SELECT e.enterprise_id, e.sector_id, e.geom_proj, e.district_code, e.district_name,
           e.size_class, e.digital_transformation, e.capital_cny
      FROM registry.enterprises e
     WHERE clustering.in_point_set(e.sector_id, e.active, e.established, e.inactive_since,
                                   p_sector_ids, p_as_of)
$$;
COMMENT ON FUNCTION clustering.points_for(smallint[], date) IS
    'Enterprises of the given sectors that are active now, or (as-of) existed at that date.';

CREATE OR REPLACE FUNCTION clustering.sector_ids(p_sectors text[])
RETURNS smallint[] LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_unknown text[];
    v_ids smallint[];
BEGIN
    IF cardinality(p_sectors) = 0 THEN  -- an empty list is not "all" (NULL is)
        RAISE EXCEPTION 'the list of sectors is empty; sectors are %, or NULL for all of them',
            (SELECT string_agg(code, ', ' ORDER BY sector_id) FROM registry.sectors)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT array_agg(x) INTO v_unknown FROM unnest(p_sectors) AS x
     WHERE x NOT IN (SELECT code FROM registry.sectors);
    IF v_unknown IS NOT NULL THEN
        RAISE EXCEPTION 'unknown sector %; sectors are %', array_to_string(v_unknown, ', '),
            (SELECT string_agg(code, ', ' ORDER BY sector_id) FROM registry.sectors)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT array_agg(sector_id ORDER BY sector_id) INTO v_ids FROM registry.sectors
     WHERE p_sectors IS NULL OR code = ANY (p_sectors);
    RETURN v_ids;
END
$$;
COMMENT ON FUNCTION clustering.sector_ids(text[]) IS
    'Sector codes to ids (NULL: every sector); an unknown code or an empty list is an error.';

-- The DBSCAN parameter rules, for runs and the sweep (NULL array: not checked).
-- NaN: PostgreSQL orders it above every number and equal to itself, so neither x <= 0
-- nor x <> x catches it (an eps of NaN failed later with "bigint out of range").
-- eps from a millimetre to 1,000 km (revision 0065): below, the grid cells' numbers
-- overflowed bigint (1e-300: "bigint out of range"); above, the hull's buffer reached
-- infinite coordinates (1e308: a GEOS error), and nothing in one city is that far apart.
CREATE OR REPLACE FUNCTION clustering.check_dbscan_params(p_eps double precision[],
                                                          p_min_points integer[])
RETURNS void LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_bad text;
BEGIN
    SELECT coalesce(x::text, 'NULL') INTO v_bad FROM unnest(p_eps) x
     WHERE x IS NULL OR NOT x BETWEEN 0.001 AND 1e6 LIMIT 1;  -- NaN is above 1e6
    IF FOUND THEN
        RAISE EXCEPTION 'eps must be a positive distance in metres, from 0.001 (a millimetre) to 1000000 (1,000 km), not %',
            v_bad USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT coalesce(x::text, 'NULL') INTO v_bad FROM unnest(p_min_points) x
     WHERE x IS NULL OR x < 1 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'min points must be at least 1, not %', v_bad
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;
COMMENT ON FUNCTION clustering.check_dbscan_params(double precision[], integer[]) IS
    'Refuses an eps outside 0.001 to 1,000,000 m (or NaN) and min points below 1.';

-- The work rows of runs that are not running any more: the one place that lists the
-- work tables (compute calls it when its run has succeeded, fail_run when it failed,
-- start_run for runs killed meanwhile).
CREATE OR REPLACE FUNCTION clustering.clear_work()
RETURNS void LANGUAGE sql AS $$
    DELETE FROM clustering.run_labels w
     WHERE NOT EXISTS (SELECT FROM clustering.runs r
                        WHERE r.run_id = w.run_id AND r.status = 'running');
    DELETE FROM clustering.run_parts w
     WHERE NOT EXISTS (SELECT FROM clustering.runs r
                        WHERE r.run_id = w.run_id AND r.status = 'running');
    DELETE FROM clustering.run_clusters w
     WHERE NOT EXISTS (SELECT FROM clustering.runs r
                        WHERE r.run_id = w.run_id AND r.status = 'running');
    DELETE FROM clustering.run_profiles w
     WHERE NOT EXISTS (SELECT FROM clustering.runs r
                        WHERE r.run_id = w.run_id AND r.status = 'running');
$$;
COMMENT ON FUNCTION clustering.clear_work() IS
    'Deletes the work rows (clustering.run_labels, run_clusters, run_profiles, run_parts) of runs no longer running.';

-- p_method: how the points are labelled (clustering.label_share): 'points', 'cells',
-- or 'auto' (clustering.auto_method). Both give the same labels.
-- Revision 0034 added it.
DROP FUNCTION IF EXISTS clustering.start_run(double precision, integer, text[], text, jsonb, date);
CREATE OR REPLACE FUNCTION clustering.start_run(
    p_eps double precision DEFAULT 500, p_min_points integer DEFAULT 30,
    p_sectors text[] DEFAULT NULL, p_tier_method text DEFAULT 'jenks',
    p_tier_params jsonb DEFAULT '{}', p_as_of date DEFAULT NULL, p_method text DEFAULT 'auto')
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_srid integer;
    v_sector_ids smallint[];
    v_run bigint;
BEGIN
    PERFORM clustering.check_dbscan_params(ARRAY[p_eps], ARRAY[p_min_points]);
    PERFORM clustering.tier_thresholds(p_tier_method, p_tier_params);
    SELECT projected_srid INTO v_srid FROM registry.settings;
    IF EXISTS (SELECT FROM spatial_ref_sys WHERE srid = v_srid AND proj4text LIKE '%+proj=longlat%') THEN
        RAISE EXCEPTION 'SRID % is geographic: eps must be in metres', v_srid
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_method IS NULL OR p_method NOT IN ('auto', 'points', 'cells') THEN
        RAISE EXCEPTION 'unknown labelling method %: use auto, points or cells', p_method
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_sector_ids := clustering.sector_ids(p_sectors);
    PERFORM clustering.clear_work();
    INSERT INTO clustering.runs (eps_m, min_points, srid, sector_ids, as_of, tier_method, tier_params,
                                 method)
    VALUES (p_eps, p_min_points, v_srid, v_sector_ids, p_as_of, p_tier_method,
            coalesce(p_tier_params, '{}'), p_method)
    RETURNING run_id INTO v_run;
    RETURN v_run;
END
$$;
COMMENT ON FUNCTION clustering.start_run(double precision, integer, text[], text, jsonb, date, text) IS
    'Validates clustering parameters and records a running run; returns its id.';

-- The enterprises a run clusters: its sectors, active now or (as_of) existing then
-- (clustering.points_for, sql/cluster/050_sensitivity.sql).
CREATE FUNCTION clustering.run_points(p_run bigint)
RETURNS TABLE (enterprise_id bigint, sector_id smallint, geom geometry, district_code text,
               district_name text, size_class text, digital_transformation boolean,
               capital_cny numeric)
LANGUAGE sql STABLE AS $$
    SELECT p.* FROM clustering.runs r, clustering.points_for(r.sector_ids, r.as_of) p
     WHERE r.run_id = p_run
$$;
COMMENT ON FUNCTION clustering.run_points(bigint) IS
    'The enterprises a clustering run works on (sectors, active or as-of snapshot).';

-- Replaced by registry.hold_enterprises('cluster') (revision 0019).
DROP FUNCTION IF EXISTS clustering.hold_registry();

-- Core flags (PostGIS does not give them): a point is core when at least min_points
-- points of its sector, itself included, lie within eps. Counted for the points of
-- pg_temp.cl_pts (enterprise_id, sector_id, x, y, target) marked target, among all the
-- points of cl_pts, which must hold every point within eps of a target
-- (clustering.label_share makes it so); writes pg_temp.cl_flags (enterprise_id,
-- is_core) for the targets. Runs inside label_share, with its settings. Returns
-- {undecided: targets the cell bounds left undecided, counted: targets whose ring
-- points were counted one by one}.
-- Decided exactly in up to four steps, on a grid of square cells eps/4 wide (shrunk
-- by 1e-9 against rounding; cells cx, cy), per sector (the idea of Gunawan's grid
-- DBSCAN):
--   lower bound  the points of the 21 cells around a point's cell (offsets i, j with
--                (|i|+1)^2 + (|j|+1)^2 <= 16) all lie within eps of it: if they are
--                min_points or more, it is core;
--   upper bound  only the cells with offsets (max(|i|-1,0))^2 + (max(|j|-1,0))^2
--                <= 16 (the upper set, all within the 11 x 11 cells around) can hold
--                points within eps: if the 11 x 11 cells hold fewer than min_points,
--                it is not core;
--   sub-cells    the 68 ring cells between the two sets, seen from the 16 x 16 sub-cell
--                (eps/64 wide) that holds the point: 11 to 16 of them lie within eps
--                of all of it (every distance between the sub-cell and the cell is
--                at most eps; the bound is computed in whole sub-cells, so a point a
--                rounding error outside its sub-cell is still inside eps), and
--                their points are added to the lower bound: core if it reaches
--                min_points. The cells: about 3 million probes of the cell counts for
--                220,000 undecided points, where counting their points one by one
--                joined 27 million pairs;
--   ring         the rest add the points of their sub-cell's 32 to 36 remaining ring
--                cells that lie within eps, measured as ST_ClusterDBSCAN measures
--                (PostGIS's point distance, sqrt(dx*dx + dy*dy) <= eps): one hash
--                join of points to cells. An index probe per point cost 2.3 times as
--                much at 220,000 undecided points (46 s against 20 s) and needed its
--                own GiST index; a nearest-neighbour probe (the 30th within eps?)
--                took 200 us a point.
-- Sub-cells 16 x 16 instead of 4 x 4 (10 to 12 ring cells within eps of all of it,
-- 38 to 41 left) left 56,668 of the 220,948 undecided points of the 1.1M benchmark's
-- comms to count one by one instead of 90,601: the ring count took 1.8 s instead of
-- 4.9 s, the sub-cell bound 1.6-1.8 s instead of 2.1 s. 32 x 32 took as long.
-- Only the cells holding targets get bounds, and only their rows the row sums' filler
-- cells: a dense sector asks for the flags of a quarter of its points.
-- enable_sort off for the sub-cell and ring counts: their joins are estimated at a
-- twentieth of their rows (three join keys computed from offsets), and the planner
-- sorted 3.4 million pairs on disk to group them (7.6 s against 4.4 s hashed).
DROP FUNCTION IF EXISTS clustering.core_flags(double precision, integer);
CREATE FUNCTION clustering.core_flags(p_eps double precision, p_min_points integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_cell double precision := p_eps / 4 * (1 - 1e-9);
    v_sort text := current_setting('enable_sort');
    v_undecided bigint;
    v_counted bigint;
BEGIN
    DROP TABLE IF EXISTS pg_temp.cl_offsets, pg_temp.cl_subs, pg_temp.cl_cells,
        pg_temp.cl_bounds, pg_temp.cl_core,
        pg_temp.cl_und, pg_temp.cl_sub_n, pg_temp.cl_flags;
    CREATE TEMP TABLE cl_offsets ON COMMIT DROP AS  -- the upper set; all_within: the lower
    SELECT i, j, (abs(i) + 1) ^ 2 + (abs(j) + 1) ^ 2 <= 16 AS all_within
      FROM generate_series(-5, 5) i, generate_series(-5, 5) j
     WHERE greatest(abs(i) - 1, 0) ^ 2 + greatest(abs(j) - 1, 0) ^ 2 <= 16;
    ANALYZE cl_offsets;
    -- the ring cells seen from sub-cell (a, b), [a/4, (a+1)/4] x [b/4, (b+1)/4] of its
    -- cell: those that can hold points within eps of it; all_within: every point
    CREATE TEMP TABLE cl_subs ON COMMIT DROP AS
    SELECT a, b, i, j,
           greatest(abs(i + 1 - a / 16.0), abs((a + 1) / 16.0 - i)) ^ 2
           + greatest(abs(j + 1 - b / 16.0), abs((b + 1) / 16.0 - j)) ^ 2 <= 16 AS all_within
      FROM generate_series(0, 15) a, generate_series(0, 15) b, cl_offsets o
     WHERE NOT o.all_within
       AND greatest(0, i - (a + 1) / 16.0, a / 16.0 - (i + 1)) ^ 2
           + greatest(0, j - (b + 1) / 16.0, b / 16.0 - (j + 1)) ^ 2 <= 16;
    ANALYZE cl_subs;
    CREATE TEMP TABLE cl_cells ON COMMIT DROP AS
    SELECT sector_id, floor(x / v_cell)::bigint AS cx, floor(y / v_cell)::bigint AS cy,
           count(*)::int AS n, bool_or(target) AS has_target
      FROM cl_pts GROUP BY 1, 2, 3;
    ANALYZE cl_cells;
    -- The bounds sum each cell's neighbours, in two passes of window functions over RANGE
    -- frames. Along every grid row: the sums h_a over the cells x-a..x+a, at each cell's
    -- own row and, for the cells holding targets, at the ten rows above and below it
    -- (filler rows holding no points). Then along every grid column, with C_k the sum
    -- over the rows y-k..y+k:
    --   lower = C1(h2) + C2(h1) - C1(h1)   the lower set: |i| <= 2 for |j| <= 1, |i| <= 1
    --                                      for |j| = 2 (cl_offsets)
    --   upper = C5(h5)                     the 11 x 11 cells around, which hold the upper
    --                                      set; a looser bound than the upper set's own
    --                                      sum, but the points it leaves undecided are
    --                                      counted exactly, over the lower set and the
    --                                      ring, all the same
    -- Each window pass costs about 0.15 s per 200,000 grid rows. For the 1.1M benchmark's
    -- comms: 2.0-2.2 s, against 3.3-4.1 s for the row sums joined to each target cell's
    -- 11 rows and 2.7-2.8 s for the upper set's exact sum (four passes more, which
    -- decided 27 points more). Its core flags took 7.4-7.6 s with the sub-cells below
    -- (12.3 s before both), software's 4.4 s (5.6 s).
    CREATE TEMP TABLE cl_bounds ON COMMIT DROP AS
    SELECT sector_id, cx, cy, lower_n, upper_n FROM (
        SELECT sector_id, cx, cy, has_target,
               sum(h2) OVER c1 + sum(h1) OVER c2 - sum(h1) OVER c1 AS lower_n,
               sum(h5) OVER c5 AS upper_n
          FROM (SELECT sector_id, cx, cy, has_target,
                       (sum(n) OVER (r RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING))::int AS h1,
                       (sum(n) OVER (r RANGE BETWEEN 2 PRECEDING AND 2 FOLLOWING))::int AS h2,
                       (sum(n) OVER (r RANGE BETWEEN 5 PRECEDING AND 5 FOLLOWING))::int AS h5
                  FROM (SELECT sector_id, cx, cy, sum(n)::int AS n,
                               bool_or(has_target) AS has_target
                          FROM (SELECT sector_id, cx, cy, n, has_target FROM cl_cells
                                UNION ALL
                                SELECT c.sector_id, c.cx, c.cy + j, 0, false
                                  FROM cl_cells c CROSS JOIN generate_series(-5, 5) j
                                 WHERE j <> 0 AND c.has_target) a
                         GROUP BY 1, 2, 3) grid
                WINDOW r AS (PARTITION BY sector_id, cy ORDER BY cx)) s
        WINDOW c AS (PARTITION BY sector_id, cx ORDER BY cy),
               c1 AS (c RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING),
               c2 AS (c RANGE BETWEEN 2 PRECEDING AND 2 FOLLOWING),
               c5 AS (c RANGE BETWEEN 5 PRECEDING AND 5 FOLLOWING)) b
     WHERE has_target;
    ANALYZE cl_bounds;
    CREATE TEMP TABLE cl_core ON COMMIT DROP AS
    SELECT l.enterprise_id, l.sector_id, l.cx, l.cy, l.x, l.y, b.lower_n,
           CASE WHEN b.lower_n >= p_min_points THEN true
                WHEN b.upper_n < p_min_points THEN false END AS is_core
      FROM (SELECT p.*, floor(p.x / v_cell)::bigint AS cx, floor(p.y / v_cell)::bigint AS cy
              FROM cl_pts p WHERE p.target) l
      JOIN cl_bounds b ON b.sector_id = l.sector_id AND b.cx = l.cx AND b.cy = l.cy;
    ANALYZE cl_core;
    CREATE TEMP TABLE cl_und ON COMMIT DROP AS
    SELECT enterprise_id, sector_id, cx, cy, x, y, lower_n,
           least(floor((x / v_cell - cx) * 16), 15)::int AS a,  -- the sub-cell
           least(floor((y / v_cell - cy) * 16), 15)::int AS b
      FROM cl_core WHERE is_core IS NULL;
    ANALYZE cl_und;
    v_undecided := (SELECT count(*) FROM cl_und);
    PERFORM set_config('enable_sort', 'off', true);
    CREATE TEMP TABLE cl_sub_n ON COMMIT DROP AS  -- the points of the sub-cell's lower set
    SELECT p.enterprise_id, sum(k.n)::int AS n
      FROM (SELECT u.enterprise_id, u.sector_id, u.cx + d.i AS kx, u.cy + d.j AS ky
              FROM cl_und u JOIN cl_subs d ON d.a = u.a AND d.b = u.b AND d.all_within
            OFFSET 0) p
      JOIN cl_cells k ON k.sector_id = p.sector_id AND k.cx = p.kx AND k.cy = p.ky
     GROUP BY 1;
    ANALYZE cl_sub_n;
    -- the rest: their ring's points within eps (a LEFT JOIN: the ring may hold none)
    CREATE TEMP TABLE cl_flags ON COMMIT DROP AS
    SELECT u.enterprise_id, min(u.lower_n) + count(*) FILTER (
               WHERE sqrt((q.x - u.x) * (q.x - u.x) + (q.y - u.y) * (q.y - u.y)) <= p_eps)
               >= p_min_points AS is_core
      FROM (SELECT u.enterprise_id, u.sector_id, u.x, u.y,
                   u.lower_n + coalesce(s.n, 0) AS lower_n, u.cx + d.i AS kx, u.cy + d.j AS ky
              FROM cl_und u LEFT JOIN cl_sub_n s USING (enterprise_id)
              JOIN cl_subs d ON d.a = u.a AND d.b = u.b AND NOT d.all_within
             WHERE u.lower_n + coalesce(s.n, 0) < p_min_points
            OFFSET 0) u
      LEFT JOIN (SELECT sector_id, floor(x / v_cell)::bigint AS cx,
                        floor(y / v_cell)::bigint AS cy, x, y FROM cl_pts) q
        ON q.sector_id = u.sector_id AND q.cx = u.kx AND q.cy = u.ky
     GROUP BY u.enterprise_id;
    PERFORM set_config('enable_sort', v_sort, true);
    v_counted := (SELECT count(*) FROM cl_flags);
    INSERT INTO cl_flags
    SELECT u.enterprise_id, true FROM cl_und u JOIN cl_sub_n s USING (enterprise_id)
     WHERE u.lower_n + s.n >= p_min_points
    UNION ALL
    SELECT enterprise_id, is_core FROM cl_core WHERE is_core IS NOT NULL;
    ANALYZE cl_flags;
    DROP TABLE pg_temp.cl_offsets, pg_temp.cl_subs, pg_temp.cl_cells, pg_temp.cl_bounds,
        pg_temp.cl_core, pg_temp.cl_und, pg_temp.cl_sub_n;
    RETURN jsonb_build_object('undecided', v_undecided, 'counted', v_counted);
END
$$;
COMMENT ON FUNCTION clustering.core_flags(double precision, integer) IS
    'Core flags of the target points of pg_temp.cl_pts into pg_temp.cl_flags (inside clustering.label_share).';

-- The side of the cells of clustering.cell_labels: eps/sqrt(2), shrunk by 1e-9 against
-- rounding, so that any two points of a cell are within eps of each other.
CREATE OR REPLACE FUNCTION clustering.dbscan_cell(p_eps double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT p_eps / sqrt(2) * (1 - 1e-9)
$$;
COMMENT ON FUNCTION clustering.dbscan_cell(double precision) IS
    'The side of the grid cells clustering.cell_labels labels by (eps/sqrt(2), shrunk against rounding).';

-- The cluster profiles (clustering.cluster_profiles) of the members in pg_temp.cl_out
-- (sector_id, cid, size_class, digital_transformation, capital_cny: a row per member),
-- per sector, cid and size class: the one place of their rules (label_share counts a
-- run's, sql/cluster/060_profiles_backfill.sql those of runs made before revision
-- 0060). plpgsql, not sql: pg_temp.cl_out exists only while they run.
CREATE OR REPLACE FUNCTION clustering.cl_out_profiles()
RETURNS TABLE (sector_id smallint, cid bigint, size_class text, n_members integer,
               n_digital integer, n_digital_known integer, capital_sum_cny numeric,
               n_capital integer)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
    SELECT o.sector_id, o.cid::bigint, coalesce(o.size_class, 'unknown'), count(*)::int,
           (count(*) FILTER (WHERE o.digital_transformation))::int,
           count(o.digital_transformation)::int, sum(o.capital_cny), count(o.capital_cny)::int
      FROM pg_temp.cl_out o
     GROUP BY o.sector_id, o.cid, coalesce(o.size_class, 'unknown');
END
$$;
COMMENT ON FUNCTION clustering.cl_out_profiles() IS
    'The cluster profiles of the members in pg_temp.cl_out, per sector, cluster and size class (inside clustering.label_share).';

-- The method auto takes for a call's points (the one place of the rule): cells when
-- the call has 200,000 points or more and at least half of them lie in cells of
-- clustering.dbscan_cell that hold min_points points or more (p_dense). Such points are
-- core by the cells' first bound, and the neighbours each point has in dense data are
-- what makes ST_ClusterDBSCAN over points slow. Where the points are spread out, the
-- cells' bounds decide few of them and counting the rest one by one costs more than
-- ST_ClusterDBSCAN saves (revision 0063). Measured on the 1.1M benchmark registry
-- (points in such cells: software 76%, comms 14%) and on the same registry spread over
-- ten times the area, the density of the demo and of a real city (software 15%, comms
-- 5%): software dense by cells 12 s against 45 s or more by points; spread, by points
-- 27 s against 58 s by cells (560,000 of its points counted one by one); comms dense
-- 11.7 s by points against 9-11 s by cells, spread 2.8 s against 7.3 s. Below 200,000 points
-- the cells' scratch tables cost more than they save (the demo: 7.3 s against 2.5 s).
CREATE OR REPLACE FUNCTION clustering.auto_method(p_points bigint, p_dense bigint)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_points >= 200000 AND p_dense * 2 >= p_points THEN 'cells'
                ELSE 'points' END
$$;
COMMENT ON FUNCTION clustering.auto_method(bigint, bigint) IS
    'The labelling method of auto for p_points points of which p_dense lie in grid cells holding min points or more: cells for 200,000 points or more, at least half of them dense; else points.';

-- The grid squares of share p_share (0-based) of p_shares of the points of a run, into
-- pg_temp.cl_share (sector_id, sx, sy: squares two cells of clustering.dbscan_cell wide,
-- sqrt(2) * eps shrunk as the cells); returns the sectors it holds points of, and
-- whether it holds them whole (then cl_share is dropped: label_share reads the share's
-- points by sector, 0.8-1.0 s for 842,560 against 1.45 s joined to their squares). The
-- shares are unions of parts, each part all the points of a sector within some squares:
--   sectors  below p_split_from points (200,000 for runs) a part is a whole sector:
--            finding connected parts took 0.13 s of each connection at 111,213 points
--            and gained nothing, each sector of the demo registry being one part, joined
--            by its background noise.
--   parts    from p_split_from points, per sector, the connected components of the
--            squares, each joined to its 8 neighbours: two points within eps lie in the
--            same or neighbouring squares. Found by ST_ClusterDBSCAN (min points 1)
--            over the squares' integer coordinates, neighbours within 1.5 of each other.
-- The shares are exact. Two points of different parts are never within eps of each
-- other, and DBSCAN's clusters, core flags and border assignments depend only on the
-- points within eps of each point, so ST_ClusterDBSCAN over a share, partitioned by
-- sector and ordered by enterprise_id, labels its points as over all of them: the same
-- clusters, the same border points in the same clusters. The cells method too: a cell
-- lies in one square, so its bounds over a share miss only points beyond eps.
-- Each part, largest first (then by sector and part), goes to the share with the fewest
-- points so far (the lowest share on a tie), so every connection that computes the
-- split gets the same one. Points, not a guess at their work: at the 1.1M benchmark's
-- density spread to a city's, points plus squared cell counts (a fit of DBSCAN's time)
-- gave the share of software's largest part 76,000 points more, and its core flags (all
-- 105,761 points the bounds left undecided were in that part) made it the slower by
-- 6 s. Each connection labelling a share computes the split itself from the same
-- snapshot: one connection's split could not be read by the others, which see the
-- state of the run's transaction when they started. It costs a scan of the points more:
-- at 1.1M, counting the squares 0.75 s of each connection, their parts 0.3 s
-- (revision 0064).
DROP FUNCTION IF EXISTS clustering.share_squares(bigint, integer, integer, bigint);
CREATE FUNCTION clustering.share_squares(p_run bigint, p_share integer, p_shares integer,
                                         p_split_from bigint, OUT sector_ids smallint[],
                                         OUT whole boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_load bigint[] := array_fill(0::bigint, ARRAY[p_shares]);
    v_sectors smallint[] := '{}';
    v_parts bigint[] := '{}';
    v_to integer;
    c record;
BEGIN
    DROP TABLE IF EXISTS pg_temp.cl_squares, pg_temp.cl_share;
    CREATE TEMP TABLE cl_squares ON COMMIT DROP AS
    SELECT sector_id, kx >> 1 AS sx, ky >> 1 AS sy, count(*) AS n
      FROM clustering.cell_points(p_run) GROUP BY 1, 2, 3;
    IF (SELECT coalesce(sum(n), 0) FROM cl_squares) < p_split_from THEN
        CREATE TEMP TABLE cl_share ON COMMIT DROP AS
        SELECT sector_id, sx, sy, n, 0::bigint AS part FROM cl_squares;
    ELSE
        CREATE TEMP TABLE cl_share ON COMMIT DROP AS
        SELECT sector_id, sx, sy, n,
               ST_ClusterDBSCAN(ST_MakePoint(sx, sy), 1.5, 1)
                   OVER (PARTITION BY sector_id ORDER BY sx, sy)::bigint AS part
          FROM cl_squares;
    END IF;
    FOR c IN SELECT sector_id, part, sum(n)::bigint AS n FROM cl_share GROUP BY 1, 2
              ORDER BY 3 DESC, 1, 2 LOOP
        v_to := 1;
        FOR i IN 2 .. p_shares LOOP
            IF v_load[i] < v_load[v_to] THEN
                v_to := i;
            END IF;
        END LOOP;
        v_load[v_to] := v_load[v_to] + c.n;
        IF v_to = p_share + 1 THEN
            v_sectors := v_sectors || c.sector_id;
            v_parts := v_parts || c.part;
        END IF;
    END LOOP;
    sector_ids := ARRAY(SELECT DISTINCT s FROM unnest(v_sectors) s ORDER BY s);
    DELETE FROM cl_share q
     WHERE (q.sector_id, q.part) NOT IN (SELECT * FROM unnest(v_sectors, v_parts));
    -- whole sectors: no square of the share's sectors went to another share
    whole := (SELECT coalesce(sum(n), 0) FROM cl_share) = (SELECT coalesce(sum(n), 0)
                FROM cl_squares WHERE sector_id = ANY (sector_ids));
    DROP TABLE pg_temp.cl_squares;
    IF whole THEN
        DROP TABLE pg_temp.cl_share;
    ELSE
        -- analyzed: the planner took an unanalyzed table of squares for a few rows and
        -- joined it to the points by a nested loop (2 minutes at 111,213 points)
        ANALYZE cl_share;
    END IF;
END
$$;
COMMENT ON FUNCTION clustering.share_squares(bigint, integer, integer, bigint) IS
    'The grid squares of one share of a run''s sectors or, from p_split_from points, of its connected parts, of similar size, into pg_temp.cl_share (inside clustering.label_share); returns the share''s sectors, and whether it holds them whole (then without cl_share).';

-- The points of a run (clustering.run_points) with their coordinates and their cells
-- kx, ky of clustering.dbscan_cell. A SQL function, inlined where it is called: a query
-- that reads some of its columns reads only those.
DROP FUNCTION IF EXISTS clustering.cell_points(bigint);
CREATE FUNCTION clustering.cell_points(p_run bigint)
RETURNS TABLE (enterprise_id bigint, sector_id smallint, geom geometry, district_code text,
               district_name text, size_class text, digital_transformation boolean,
               capital_cny numeric, x double precision, y double precision, kx bigint,
               ky bigint)
LANGUAGE sql STABLE AS $$
    SELECT a.*, ST_X(a.geom), ST_Y(a.geom),
           floor(ST_X(a.geom) / clustering.dbscan_cell(r.eps_m))::bigint,
           floor(ST_Y(a.geom) / clustering.dbscan_cell(r.eps_m))::bigint
      FROM clustering.runs r, clustering.run_points(p_run) a
     WHERE r.run_id = p_run
$$;
COMMENT ON FUNCTION clustering.cell_points(bigint) IS
    'The points of a clustering run with their coordinates and their grid cells (clustering.dbscan_cell).';

-- DBSCAN, core flags and cluster rows for share p_share (0-based) of p_shares of the
-- points of a running run (clustering.share_squares; one share: all of them), stored in
-- clustering.run_labels, run_clusters and run_parts. The shares are exact (sectors are
-- DBSCAN's partitions, and within a sector the parts are never within eps of each
-- other), so labelling them separately, even on separate connections, gives exactly
-- the labels of the single query. The CLI calls it on --jobs connections at once: the
-- run's own, and helpers in transactions importing its snapshot; clustering.compute
-- labels whatever shares are left. Every share of a run must be split alike (the same
-- p_shares and p_split_from; refused otherwise, revision 0065). Revision 0064 split the
-- run's points into shares of connected parts; before, each connection labelled whole
-- sectors, and the larger sector held the run back (the 1.1M benchmark spread to a
-- city's density: software 23.5 s, comms 3 s).
-- Two methods, the same labels (the run's method; auto: clustering.auto_method):
--   points  ST_ClusterDBSCAN over the points, then the core flags of the clustered
--           points, counted among them: every eps-neighbour of a core point is in a
--           cluster, so a point with fewer than min_points clustered neighbours is not
--           core. Its time grows with the points times their neighbours: 0.4 s for
--           84,256 points, 33-46 s for 842,560 ten times denser.
--   cells   the core flags first, then ST_ClusterDBSCAN over cells instead of points
--           (clustering.cell_labels). 3-4 s for the 842,560.
-- default_statistics_target 10 (here and in compute, refresh_published): the scratch
-- tables are analyzed from 3,000 sampled rows instead of 30,000; their plans need row
-- counts and rough distinct counts (0.5-0.8 s of a run at 112,000 enterprises).
-- client_min_messages warning: psql printed a NOTICE for every scratch table dropped
-- IF EXISTS that was not there (18 of them for one clustering.run()).
-- enable_mergejoin off: for joins of cells to their neighbours' offsets the planner
-- judged a merge join sorted on disk cheaper than a hash join on the cells (24 s against
-- 8 s, when the cell bounds of core_flags joined every cell to 89 offsets).
-- The call's points go into pg_temp.cl_cpts first, with their coordinates and their
-- cells of clustering.cell_labels (clustering.dbscan_cell): counted as they are written,
-- where a count(*) of clustering.run_points to choose the method took 0.3-0.5 s of a
-- connection at 1.1M.
DROP FUNCTION IF EXISTS clustering.label_sectors(bigint, smallint[]);
CREATE OR REPLACE FUNCTION clustering.label_share(p_run bigint, p_share integer,
                                                  p_shares integer,
                                                  p_split_from bigint DEFAULT 200000)
RETURNS jsonb LANGUAGE plpgsql SET enable_mergejoin = off SET work_mem = '256MB'
    SET default_statistics_target = 10 SET client_min_messages = warning AS $$
DECLARE
    r clustering.runs%ROWTYPE;  -- the run's parameters
    t timestamptz := clock_timestamp();
    v_timings jsonb := '{}';
    v_points bigint;
    v_sector_ids smallint[];
    v_whole boolean;  -- the share is whole sectors
    v_dense bigint;  -- points in cells holding min_points or more (auto only)
    v_method text;
    v_split_from bigint;
BEGIN
    SELECT * INTO r FROM clustering.runs WHERE run_id = p_run;
    IF NOT FOUND OR r.status <> 'running' THEN
        RAISE EXCEPTION 'run % is not a running clustering run', p_run;
    END IF;
    IF p_shares IS NULL OR p_share IS NULL OR p_shares < 1 OR p_share < 0
       OR p_share >= p_shares
       OR EXISTS (SELECT FROM clustering.run_parts
                   WHERE run_id = p_run AND (share = p_share OR shares <> p_shares)) THEN
        RAISE EXCEPTION 'share % of % is not a share of run % left to label', p_share,
            p_shares, p_run;
    END IF;
    -- split alike: a share split from another number of points could overlap another's
    -- points or miss some (compute labels the shares left with the recorded number)
    SELECT split_from INTO v_split_from FROM clustering.run_parts
     WHERE run_id = p_run AND split_from IS DISTINCT FROM p_split_from LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'run % is split into shares from % points, not from %', p_run,
            coalesce(v_split_from::text, 'NULL'), coalesce(p_split_from::text, 'NULL');
    END IF;
    DROP TABLE IF EXISTS pg_temp.cl_cpts, pg_temp.cl_labels, pg_temp.cl_pts, pg_temp.cl_out,
        pg_temp.cl_clusters;
    IF p_shares = 1 THEN
        v_sector_ids := r.sector_ids;
        v_whole := true;
    ELSE
        SELECT q.sector_ids, q.whole INTO v_sector_ids, v_whole
          FROM clustering.share_squares(p_run, p_share, p_shares, p_split_from) q;
    END IF;
    IF v_whole THEN
        CREATE TEMP TABLE cl_cpts ON COMMIT DROP AS
        SELECT * FROM clustering.cell_points(p_run) WHERE sector_id = ANY (v_sector_ids);
        GET DIAGNOSTICS v_points = ROW_COUNT;
    ELSE
        CREATE TEMP TABLE cl_cpts ON COMMIT DROP AS
        SELECT a.* FROM clustering.cell_points(p_run) a
          JOIN cl_share q ON q.sector_id = a.sector_id AND q.sx = a.kx >> 1 AND q.sy = a.ky >> 1;
        GET DIAGNOSTICS v_points = ROW_COUNT;
        DROP TABLE pg_temp.cl_share;
    END IF;
    IF p_shares > 1 THEN
        v_timings := jsonb_build_object('split', extract(epoch FROM clock_timestamp() - t));
        t := clock_timestamp();
    END IF;
    ANALYZE cl_cpts;
    IF r.method <> 'auto' THEN
        v_method := r.method;
    ELSIF clustering.auto_method(v_points, v_points) = 'points' THEN  -- too few to count
        v_method := 'points';
    ELSE
        SELECT coalesce(sum(n), 0) INTO v_dense
          FROM (SELECT count(*) AS n FROM cl_cpts GROUP BY sector_id, kx, ky) c
         WHERE n >= r.min_points;
        v_method := clustering.auto_method(v_points, v_dense);
    END IF;

    IF v_method = 'points' THEN
        -- DBSCAN per sector. ORDER BY a stable key: the same data gives the same result.
        -- Only clustered points are kept.
        CREATE TEMP TABLE cl_labels ON COMMIT DROP AS
        SELECT x.* FROM (
            SELECT p.*, ST_ClusterDBSCAN(p.geom, r.eps_m, r.min_points)
                            OVER (PARTITION BY p.sector_id ORDER BY p.enterprise_id) AS cid
              FROM cl_cpts p) x
         WHERE cid IS NOT NULL;
        ANALYZE cl_labels;
        v_timings := v_timings || jsonb_build_object(
            'dbscan', extract(epoch FROM clock_timestamp() - t));
        t := clock_timestamp();
        CREATE TEMP TABLE cl_pts ON COMMIT DROP AS
        SELECT enterprise_id, sector_id, x, y, true AS target FROM cl_labels;
        ANALYZE cl_pts;
        v_timings := v_timings || clustering.core_flags(r.eps_m, r.min_points);
        CREATE TEMP TABLE cl_out ON COMMIT DROP AS
        SELECT l.enterprise_id, l.sector_id, l.cid, f.is_core, l.geom, l.district_code,
               l.district_name, l.size_class, l.digital_transformation, l.capital_cny
          FROM cl_labels l JOIN cl_flags f USING (enterprise_id);
        v_timings := v_timings || jsonb_build_object(
            'core_flags', extract(epoch FROM clock_timestamp() - t));
    ELSE
        v_timings := v_timings || clustering.cell_labels(p_run, r.eps_m, r.min_points);
    END IF;
    t := clock_timestamp();

    -- The clusters of pg_temp.cl_out, one row each, made here so that the connections
    -- share the work, named by their first member (clustering.compute numbers them).
    -- The hull is buffered by eps/10 so that small or collinear clusters still have an
    -- area; its district is the members' majority district (ties: the lowest district
    -- code, then name).
    ANALYZE cl_out;
    CREATE TEMP TABLE cl_clusters ON COMMIT DROP AS
    SELECT g.*, d.district_code, d.district_name
      FROM (SELECT sector_id, cid, min(enterprise_id) AS first_member, count(*)::int AS n,
                   count(*) FILTER (WHERE is_core)::int AS n_core,
                   ST_Multi(ST_Buffer(ST_ConvexHull(ST_Collect(geom)), r.eps_m / 10, 4)) AS hull,
                   -- the mean of the members' coordinates, summed exactly in whole
                   -- micrometres (bigint sums, kept in 128 bits): a sum of doubles
                   -- depends on its order, and the centroid changed in its last bits
                   -- from run to run. Numeric sums took 0.9 s for 842,560 points, these
                   -- 0.2 s.
                   ST_SetSRID(ST_MakePoint((avg(round(ST_X(geom) * 1e6)::bigint) / 1e6)::float8,
                                           (avg(round(ST_Y(geom) * 1e6)::bigint) / 1e6)::float8),
                              r.srid) AS centroid
              FROM cl_out GROUP BY sector_id, cid) g
      LEFT JOIN (
            SELECT DISTINCT ON (sector_id, cid) sector_id, cid, district_code, district_name
              FROM (SELECT sector_id, cid, district_code, district_name, count(*) AS n
                      FROM cl_out
                     WHERE district_code IS NOT NULL OR district_name IS NOT NULL
                     GROUP BY 1, 2, 3, 4) v
             ORDER BY sector_id, cid, n DESC, district_code NULLS LAST, district_name) d
             USING (sector_id, cid);
    ANALYZE cl_clusters;
    INSERT INTO clustering.run_clusters (run_id, first_member, sector_id, n_members, n_core,
                                         hull, centroid, district_code, district_name)
    SELECT p_run, first_member, sector_id, n, n_core, hull, centroid, district_code,
           district_name
      FROM cl_clusters;
    INSERT INTO clustering.run_labels (run_id, enterprise_id, first_member, is_core)
    SELECT p_run, o.enterprise_id, c.first_member, o.is_core
      FROM cl_out o JOIN cl_clusters c USING (sector_id, cid);
    INSERT INTO clustering.run_profiles (run_id, first_member, size_class, n_members,
                                         n_digital, n_digital_known, capital_sum_cny, n_capital)
    SELECT p_run, c.first_member, p.size_class, p.n_members, p.n_digital,
           p.n_digital_known, p.capital_sum_cny, p.n_capital
      FROM clustering.cl_out_profiles() p JOIN cl_clusters c USING (sector_id, cid);
    v_timings := v_timings || jsonb_build_object(
        'method', v_method, 'clusters', extract(epoch FROM clock_timestamp() - t))
        || CASE WHEN v_dense IS NULL THEN '{}' ELSE jsonb_build_object('dense_points', v_dense) END;
    INSERT INTO clustering.run_parts (run_id, share, shares, split_from, sector_ids, n_points,
                                      timings)
    VALUES (p_run, p_share, p_shares, p_split_from, v_sector_ids, v_points, v_timings);
    DROP TABLE IF EXISTS pg_temp.cl_cpts, pg_temp.cl_labels, pg_temp.cl_pts, pg_temp.cl_flags,
        pg_temp.cl_out, pg_temp.cl_clusters;
    RETURN v_timings;
END
$$;
COMMENT ON FUNCTION clustering.label_share(bigint, integer, integer, bigint) IS
    'Runs ST_ClusterDBSCAN, the core flags and the cluster rows for one share of the points of a running run (its sectors or, from p_split_from points, connected parts of them) into clustering.run_labels and run_clusters (the CLI labels a share per connection, all at once).';

-- The labels of the points of a share of a run into pg_temp.cl_out (inside
-- clustering.label_share), the same as ST_ClusterDBSCAN's over them, found from cells
-- instead of points:
--   cells   squares eps/sqrt(2) wide (clustering.dbscan_cell): any two points
--           of a cell are within eps of each other, and every point within eps of a
--           point lies in the 5 x 5 cells around its cell;
--   core    a point whose cell holds min_points points or more is core; one whose 5 x 5
--           cells hold fewer is not; the rest are counted exactly by
--           clustering.core_flags, among the points of the 5 x 5 cells around theirs;
--   clusters the core points of a cell are one multipoint; ST_ClusterDBSCAN with min
--           points 1 joins two cells when their multipoints are within eps, that is when
--           two of their core points are (the distance of two multipoints is that of
--           their closest points, measured as between the points). The core points of a
--           cell are within eps of each other, so the clusters of the cells are those of
--           the core points: DBSCAN's clusters, without its neighbour search around
--           every point;
--   borders a point that is not core joins the cluster of a core point within eps.
--           Where core points of two clusters are within eps, ST_ClusterDBSCAN gives it
--           to the first in its ORDER BY, enterprise_id: it takes each core point in
--           that order and claims the unclaimed points within eps. So does this.
-- The points are those of pg_temp.cl_cpts (label_share writes it: the columns of
-- clustering.run_points, x, y, and their cell kx, ky). Returns the timings (dbscan: the
-- cells, their clusters and the borders; core_flags) and the counts of
-- clustering.core_flags (undecided, counted).
DROP FUNCTION IF EXISTS clustering.cell_labels(bigint, double precision, integer);
DROP FUNCTION IF EXISTS clustering.cell_labels(bigint, smallint[], double precision, integer);
CREATE OR REPLACE FUNCTION clustering.cell_labels(p_run bigint, p_eps double precision,
                                                   p_min_points integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    t timestamptz := clock_timestamp();
    v_timings jsonb;
    v_flags jsonb;
BEGIN
    DROP TABLE IF EXISTS pg_temp.cl_block, pg_temp.cl_kn, pg_temp.cl_kcells,
        pg_temp.cl_flagged, pg_temp.cl_kmp, pg_temp.cl_kcore, pg_temp.cl_near;
    CREATE TEMP TABLE cl_block ON COMMIT DROP AS
    SELECT i, j FROM generate_series(-2, 2) i, generate_series(-2, 2) j;
    ANALYZE cl_block;
    -- n: the cell's points; ub: the points of its 5 x 5 cells
    CREATE TEMP TABLE cl_kn ON COMMIT DROP AS
    SELECT sector_id, kx, ky, count(*)::int AS n FROM cl_cpts GROUP BY 1, 2, 3;
    ANALYZE cl_kn;
    CREATE TEMP TABLE cl_kcells ON COMMIT DROP AS
    SELECT c.sector_id, c.kx, c.ky, c.n, sum(d.n)::int AS ub
      FROM cl_kn c CROSS JOIN cl_block o
      JOIN cl_kn d ON d.sector_id = c.sector_id AND d.kx = c.kx + o.i AND d.ky = c.ky + o.j
     GROUP BY 1, 2, 3, 4;
    ANALYZE cl_kcells;
    -- the undecided, with every point of the 5 x 5 cells around theirs
    CREATE TEMP TABLE cl_pts ON COMMIT DROP AS
    SELECT a.enterprise_id, a.sector_id, a.x, a.y,
           k.n < p_min_points AND k.ub >= p_min_points AS target
      FROM cl_cpts a
      JOIN cl_kcells k USING (sector_id, kx, ky)
      JOIN (SELECT DISTINCT u.sector_id, u.kx + o.i AS kx, u.ky + o.j AS ky
              FROM cl_kcells u CROSS JOIN cl_block o
             WHERE u.n < p_min_points AND u.ub >= p_min_points) w USING (sector_id, kx, ky);
    ANALYZE cl_pts;
    v_flags := clustering.core_flags(p_eps, p_min_points);
    CREATE TEMP TABLE cl_flagged ON COMMIT DROP AS
    SELECT a.*, CASE WHEN k.n >= p_min_points THEN true WHEN k.ub < p_min_points THEN false
                     ELSE f.is_core END AS is_core
      FROM cl_cpts a JOIN cl_kcells k USING (sector_id, kx, ky)
      LEFT JOIN cl_flags f USING (enterprise_id);
    IF EXISTS (SELECT FROM cl_flagged WHERE is_core IS NULL) THEN  -- cannot happen
        RAISE EXCEPTION 'run %: core flags missing for some points', p_run;
    END IF;
    ANALYZE cl_flagged;
    v_timings := v_flags || jsonb_build_object('core_flags',
                                               extract(epoch FROM clock_timestamp() - t));
    t := clock_timestamp();

    -- the multipoints first, in a table of their own: ST_ClusterDBSCAN over them took
    -- 0.8-0.9 s read from it, 1.7 s straight from the aggregate (842,560 points in
    -- 24,655 cells)
    CREATE TEMP TABLE cl_kmp ON COMMIT DROP AS
    SELECT sector_id, kx, ky, ST_Collect(geom) AS mp FROM cl_flagged WHERE is_core GROUP BY 1, 2, 3;
    CREATE TEMP TABLE cl_kcore ON COMMIT DROP AS
    SELECT sector_id, kx, ky, mp,
           ST_ClusterDBSCAN(mp, p_eps, 1) OVER (PARTITION BY sector_id ORDER BY kx, ky) AS cid
      FROM cl_kmp;
    ANALYZE cl_kcore;
    -- the points that are not core, and the cells with core points within eps of them
    CREATE TEMP TABLE cl_near ON COMMIT DROP AS
    SELECT b.enterprise_id, b.sector_id, b.x, b.y, k.kx, k.ky, k.cid
      FROM cl_flagged b CROSS JOIN cl_block o
      JOIN cl_kcore k ON k.sector_id = b.sector_id AND k.kx = b.kx + o.i AND k.ky = b.ky + o.j
     WHERE NOT b.is_core AND ST_DWithin(b.geom, k.mp, p_eps);
    ANALYZE cl_near;
    -- (the core points and the borders apart: joining every point to its label took
    -- 1.4 s for 842,560 points, against 0.9 s)
    CREATE TEMP TABLE cl_out ON COMMIT DROP AS
    SELECT a.enterprise_id, a.sector_id, k.cid, a.is_core, a.geom, a.district_code,
           a.district_name, a.size_class, a.digital_transformation, a.capital_cny
      FROM cl_flagged a JOIN cl_kcore k USING (sector_id, kx, ky)
     WHERE a.is_core
    UNION ALL
    SELECT a.enterprise_id, a.sector_id, x.cid, a.is_core, a.geom, a.district_code,
           a.district_name, a.size_class, a.digital_transformation, a.capital_cny
      FROM cl_flagged a
      JOIN (-- near core points of one cluster only
            SELECT enterprise_id, min(cid) AS cid FROM cl_near GROUP BY 1 HAVING min(cid) = max(cid)
            UNION ALL  -- near two or more: the cluster of the first core point within eps
            (SELECT DISTINCT ON (n.enterprise_id) n.enterprise_id, n.cid
               FROM cl_near n JOIN cl_flagged q
                 ON q.sector_id = n.sector_id AND q.kx = n.kx AND q.ky = n.ky AND q.is_core
              WHERE n.enterprise_id IN (SELECT enterprise_id FROM cl_near GROUP BY 1
                                         HAVING min(cid) < max(cid))
                AND sqrt((q.x - n.x) * (q.x - n.x) + (q.y - n.y) * (q.y - n.y)) <= p_eps
              ORDER BY n.enterprise_id, q.enterprise_id)) x USING (enterprise_id);
    v_timings := v_timings || jsonb_build_object('dbscan', extract(epoch FROM clock_timestamp() - t));
    DROP TABLE pg_temp.cl_block, pg_temp.cl_kn, pg_temp.cl_kcells, pg_temp.cl_kmp,
        pg_temp.cl_kcore, pg_temp.cl_near, pg_temp.cl_flagged;
    RETURN v_timings;
END
$$;
COMMENT ON FUNCTION clustering.cell_labels(bigint, double precision, integer) IS
    'The labels of ST_ClusterDBSCAN over the points of pg_temp.cl_cpts (one share of a run) into pg_temp.cl_out, found over grid cells of core points (inside clustering.label_share).';

-- Fresh statistics for the tables a run has just filled, before the statements that
-- join them: the work table of labels, emptied after every run, and clustering.clusters
-- with the run's clusters in. Without them the planner took either for one row: the
-- members' join (0.6-1.5 s more at 111,761 enterprises; revision 0048), and the run's
-- 15,000 cluster profiles joined to its 3,582 clusters by a nested loop (4.0 s at
-- 1,117,610 enterprises; revision 0061; 25-45 ms to analyze). ANALYZE needs the
-- tables' owner: run as the loader role, compute skipped it with a WARNING. One
-- function since revision 0062 (0048 and 0061 each made one).
DROP FUNCTION IF EXISTS clustering.analyze_run_labels();
DROP FUNCTION IF EXISTS clustering.analyze_clusters();
CREATE OR REPLACE FUNCTION clustering.analyze_run_tables()
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    ANALYZE clustering.run_labels, clustering.clusters;
END
$$;
COMMENT ON FUNCTION clustering.analyze_run_tables() IS
    'ANALYZE clustering.run_labels and clustering.clusters as their owner (for clustering.compute, whoever runs it).';

-- work_mem 256MB: the members' labels sort every clustered point twice (window
-- functions by cluster, then by first member), about 100 MB per sort at a million
-- points, more than the server's usual work_mem (revision 0028). client_min_messages
-- warning: no NOTICE for its scratch tables dropped IF EXISTS (as label_share).
CREATE OR REPLACE FUNCTION clustering.compute(p_run bigint)
RETURNS jsonb LANGUAGE plpgsql SET default_statistics_target = 10 SET work_mem = '256MB'
    SET client_min_messages = warning AS $$
DECLARE
    r clustering.runs%ROWTYPE;  -- the run's parameters
    t0 timestamptz := clock_timestamp();
    t timestamptz := clock_timestamp();
    v_timings jsonb := '{}';
    tiers jsonb;
    v_points bigint;
    v_clustered bigint;
    v_clusters integer;
    v_lineage jsonb;
    v_shares integer;
    v_split_from bigint;
BEGIN
    SELECT * INTO r FROM clustering.runs WHERE run_id = p_run FOR UPDATE;
    IF NOT FOUND OR r.status <> 'running' THEN
        RAISE EXCEPTION 'run % is not a running clustering run', p_run;
    END IF;
    -- one committed state of the registry for the whole run (registry.hold_enterprises;
    -- already held when the CLI runs it)
    PERFORM registry.hold_enterprises('cluster');

    -- Labels: the shares not labelled yet (by the CLI on other connections) here, split
    -- as those were; no share labelled yet: all the points as one.
    SELECT max(shares), max(split_from) INTO v_shares, v_split_from
      FROM clustering.run_parts WHERE run_id = p_run;
    IF v_shares IS NULL THEN
        PERFORM clustering.label_share(p_run, 0, 1);
    ELSE
        FOR i IN 0 .. v_shares - 1 LOOP
            IF NOT EXISTS (SELECT FROM clustering.run_parts
                            WHERE run_id = p_run AND share = i) THEN
                PERFORM clustering.label_share(p_run, i, v_shares, v_split_from);
            END IF;
        END LOOP;
    END IF;
    -- steps run on several connections: the sum of their seconds, and each part's
    SELECT jsonb_build_object(
               'dbscan', sum((timings->>'dbscan')::float8),
               'core_flags', sum((timings->>'core_flags')::float8),
               'parts', jsonb_agg(timings || jsonb_build_object('share', share,
                                                                'sectors', sector_ids,
                                                                'points', n_points)
                                  ORDER BY share)),
           sum(n_points)
      INTO v_timings, v_points
      FROM clustering.run_parts WHERE run_id = p_run;
    t := clock_timestamp();

    -- The clusters, made by the connections that labelled them, numbered here within
    -- their sector by first member (label 1 is the cluster holding the sector's
    -- smallest clustered enterprise key; a sector's clusters may come from several
    -- shares) and stored in label order: cluster ids are deterministic.
    DROP TABLE IF EXISTS pg_temp.cl_numbered, pg_temp.cl_keys;
    CREATE TEMP TABLE cl_numbered ON COMMIT DROP AS
    SELECT c.*, row_number() OVER (PARTITION BY sector_id ORDER BY first_member)::int AS label
      FROM clustering.run_clusters c WHERE run_id = p_run;
    INSERT INTO clustering.clusters (run_id, sector_id, label, n_members, n_core, hull,
                                     centroid, area_km2, density_per_km2, district_code,
                                     district_name)
    SELECT p_run, sector_id, label, n_members, n_core, hull, centroid, ST_Area(hull) / 1e6,
           n_members / (ST_Area(hull) / 1e6), district_code, district_name
      FROM cl_numbered
     ORDER BY sector_id, label;
    GET DIAGNOSTICS v_clusters = ROW_COUNT;
    CREATE TEMP TABLE cl_keys ON COMMIT DROP AS
    SELECT n.first_member, c.cluster_id
      FROM cl_numbered n JOIN clustering.clusters c
        ON c.run_id = p_run AND c.sector_id = n.sector_id AND c.label = n.label;
    ANALYZE cl_keys;
    PERFORM clustering.analyze_run_tables();  -- the labels and the run's clusters
    INSERT INTO clustering.cluster_profiles (cluster_id, size_class, n_members, n_digital,
                                             n_digital_known, capital_sum_cny, n_capital)
    SELECT k.cluster_id, p.size_class, p.n_members, p.n_digital, p.n_digital_known,
           p.capital_sum_cny, p.n_capital
      FROM clustering.run_profiles p JOIN cl_keys k USING (first_member)
     WHERE p.run_id = p_run;

    -- the members into the run's own table, then made its partition of clustering.members
    -- (sql/schema/030_clustering.sql)
    EXECUTE format('INSERT INTO %s (run_id, enterprise_id, cluster_id, is_core) '
                   'SELECT $1, m.enterprise_id, k.cluster_id, m.is_core '
                   'FROM clustering.run_labels m JOIN pg_temp.cl_keys k USING (first_member) '
                   'WHERE m.run_id = $1',
                   clustering.begin_members(p_run)) USING p_run;
    GET DIAGNOSTICS v_clustered = ROW_COUNT;
    PERFORM clustering.attach_members(p_run);
    DROP TABLE pg_temp.cl_numbered, pg_temp.cl_keys;
    v_timings := v_timings || jsonb_build_object('clusters', extract(epoch FROM clock_timestamp() - t));
    t := clock_timestamp();

    -- persistent keys and events against the previous run (sql/cluster/040_lineage.sql)
    v_lineage := clustering.trace_lineage(p_run);
    v_timings := v_timings || jsonb_build_object('lineage', extract(epoch FROM clock_timestamp() - t));
    t := clock_timestamp();

    tiers := clustering.assign_tiers(p_run, r.tier_method, r.tier_params);

    v_timings := v_timings || jsonb_build_object('tiers', extract(epoch FROM clock_timestamp() - t),
                                             'total', extract(epoch FROM clock_timestamp() - t0));
    UPDATE clustering.runs
       SET status = 'succeeded', finished_at = clock_timestamp(), n_points = v_points,
           n_clustered = v_clustered, n_clusters = v_clusters, timings = v_timings,
           tier_params = tiers
     WHERE run_id = p_run;
    PERFORM clustering.clear_work();  -- its work rows, now that it is not running
    RETURN jsonb_build_object('run_id', p_run, 'points', v_points, 'clustered', v_clustered,
                              'clusters', v_clusters, 'timings', v_timings, 'tiers', tiers,
                              'lineage', v_lineage);
END
$$;
COMMENT ON FUNCTION clustering.compute(bigint) IS
    'Clusters the enterprises of a running run with ST_ClusterDBSCAN and stores clusters, members, tiers; marks it succeeded.';

CREATE OR REPLACE FUNCTION clustering.fail_run(p_run bigint, p_error text)
RETURNS void LANGUAGE sql AS $$
    UPDATE clustering.runs SET status = 'failed', finished_at = clock_timestamp(), error = p_error
     WHERE run_id = p_run AND status = 'running';
    SELECT clustering.clear_work();
$$;
COMMENT ON FUNCTION clustering.fail_run(bigint, text) IS 'Marks a running run failed.';
