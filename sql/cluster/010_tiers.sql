-- Tiers: core / medium / small. The study gives no thresholds, so the method is a
-- choice recorded with each run (clustering.runs.tier_method, tier_params):
--   jenks    (default) natural breaks of cluster sizes into 3 classes, per sector:
--            the two breaks that minimise the within-class sum of squares (exact,
--            exhaustive over the distinct sizes).
--   quantile size quantiles per sector: core from quantile params.core (default 0.9),
--            medium from params.medium (default 0.6).
--   absolute fixed sizes: core from params.core (default 200 enterprises), medium
--            from params.medium (default 80).
-- (clustering.tier_thresholds checks the params and fills in the defaults.)
-- Returns the resolved thresholds per sector: {"comms": {"medium": 60, "core": 150}, ...}
-- (a cluster is core when n_members >= core, medium when >= medium, else small).

CREATE OR REPLACE FUNCTION clustering.tier_rank(tier text)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE tier WHEN 'core' THEN 1 WHEN 'medium' THEN 2 WHEN 'small' THEN 3 END
$$;
COMMENT ON FUNCTION clustering.tier_rank(text) IS '1 for core, 2 medium, 3 small (sorting, styling).';

CREATE OR REPLACE FUNCTION clustering.jenks3(sizes integer[])
RETURNS integer[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- [medium_from, core_from] for three natural-breaks classes of sizes. Classes are
    -- split only between distinct sizes: splitting equal sizes is never optimal (moving
    -- them to the class whose mean is nearer lowers the sum of squares), and a size
    -- threshold cannot express it anyway. So the search is over pairs of distinct sizes,
    -- not of clusters: 3,000 clusters of a million enterprises took 7.5 s, now 0.1 s.
    WITH d AS (SELECT x::numeric AS x, count(*) AS c FROM unnest(sizes) AS x GROUP BY x),
    p AS (  -- after the k-th distinct size: i sizes, s1 = sum(x), s2 = sum(x^2); next_x
            -- is the first size of the class above
        SELECT row_number() OVER w AS k, sum(c) OVER w AS i, sum(c * x) OVER w AS s1,
               sum(c * x * x) OVER w AS s2, lead(x) OVER w AS next_x
        FROM d WINDOW w AS (ORDER BY x)),
    t AS (SELECT * FROM p ORDER BY k DESC LIMIT 1),
    splits AS (  -- classes: sizes up to the a-th distinct one, up to the b-th, the rest
        SELECT a.k AS ka, b.k AS kb, a.next_x AS medium_from, b.next_x AS core_from,
               (a.s2 - a.s1 ^ 2 / a.i)
             + ((b.s2 - a.s2) - (b.s1 - a.s1) ^ 2 / (b.i - a.i))
             + ((t.s2 - b.s2) - (t.s1 - b.s1) ^ 2 / (t.i - b.i)) AS sse
        FROM t, p a, p b
        WHERE b.k > a.k AND b.k < t.k)
    SELECT ARRAY[s.medium_from::int, s.core_from::int]
    FROM splits s
    ORDER BY s.sse, s.ka, s.kb
    LIMIT 1
$$;
COMMENT ON FUNCTION clustering.jenks3(integer[]) IS
    'Natural breaks (Jenks) of sizes into three classes: {medium_from, core_from}; NULL with fewer than three distinct sizes.';

-- The thresholds of quantile and absolute tiers, the defaults filled in, checked (the
-- one place of these rules; revision 0045): a JSON object of numbers, core and medium
-- only; quantiles above 0 and at most 1; sizes at least 1, a fractional size counting
-- from the next whole one (60.5: clusters of 61 and more); core above medium, after
-- the defaults (absolute core 50 alone is under the default medium 80). jenks takes
-- none. Returns {"core": .., "medium": ..} ({} for jenks). Errors are
-- invalid_parameter_value, written for the user: clustering.start_run checks them
-- before it records a run. Before revision 0045 a threshold given to jenks tiers was
-- ignored, inverted thresholds gave inverted tiers, and absolute thresholds with a
-- decimal point (as the CLI sends them) failed the run.
CREATE OR REPLACE FUNCTION clustering.tier_thresholds(p_method text, p_params jsonb)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_params jsonb := coalesce(p_params, '{}');
    v_key text;
    v_n numeric;
BEGIN
    IF p_method IS NULL OR p_method NOT IN ('jenks', 'quantile', 'absolute') THEN
        RAISE EXCEPTION 'unknown tier method %: use jenks, quantile or absolute', p_method
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_typeof(v_params) <> 'object' THEN
        RAISE EXCEPTION 'tier thresholds must be a JSON object such as {"core": 200, "medium": 80}, not %',
            v_params USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR v_key IN SELECT jsonb_object_keys(v_params) LOOP
        IF v_key NOT IN ('core', 'medium') THEN
            RAISE EXCEPTION 'unknown tier threshold %: use core, medium', v_key
                USING ERRCODE = 'invalid_parameter_value';
        ELSIF jsonb_typeof(v_params -> v_key) <> 'number' THEN
            RAISE EXCEPTION 'the % threshold must be a number, not %', v_key, v_params -> v_key
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
    IF p_method = 'jenks' THEN
        IF v_params <> '{}' THEN
            RAISE EXCEPTION 'jenks tiers take no thresholds (core, medium): natural breaks find them; use quantile or absolute tiers to set them'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        RETURN '{}';
    END IF;
    v_params := CASE p_method WHEN 'quantile' THEN '{"core": 0.9, "medium": 0.6}'
                              ELSE '{"core": 200, "medium": 80}' END::jsonb || v_params;
    FOREACH v_key IN ARRAY ARRAY['core', 'medium'] LOOP
        v_n := trim_scale((v_params ->> v_key)::numeric);
        IF p_method = 'quantile' AND NOT (v_n > 0 AND v_n <= 1) THEN
            RAISE EXCEPTION 'the % threshold of quantile tiers must be a quantile above 0 and at most 1, not %',
                v_key, v_n USING ERRCODE = 'invalid_parameter_value';
        ELSIF p_method = 'absolute' AND v_n < 1 THEN
            RAISE EXCEPTION 'the % threshold of absolute tiers must be a cluster size of at least 1, not %',
                v_key, v_n USING ERRCODE = 'invalid_parameter_value';
        END IF;
        v_params := jsonb_set(v_params, ARRAY[v_key],
                              to_jsonb(CASE p_method WHEN 'absolute' THEN ceil(v_n) ELSE v_n END));
    END LOOP;
    IF (v_params ->> 'core')::numeric <= (v_params ->> 'medium')::numeric THEN
        RAISE EXCEPTION 'the core threshold (%) must be above the medium one (%)',
            v_params ->> 'core', v_params ->> 'medium' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN v_params;
END
$$;
COMMENT ON FUNCTION clustering.tier_thresholds(text, jsonb) IS
    'The thresholds of quantile or absolute tiers, defaults filled in ({} for jenks); refuses unknown methods, unknown or non-numeric thresholds, out-of-range values and core not above medium.';

CREATE OR REPLACE FUNCTION clustering.assign_tiers(p_run bigint, p_method text, p_params jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    resolved jsonb := '{}';
    sec record;
    t integer[];
    th jsonb := clustering.tier_thresholds(p_method, p_params);  -- checked, defaults in
BEGIN
    FOR sec IN
        SELECT c.sector_id, s.code, array_agg(c.n_members ORDER BY c.n_members) AS sizes
        FROM clustering.clusters c JOIN registry.sectors s USING (sector_id)
        WHERE c.run_id = p_run GROUP BY c.sector_id, s.code
    LOOP
        IF p_method = 'jenks' THEN
            t := clustering.jenks3(sec.sizes);
            IF t IS NULL THEN  -- fewer than three distinct sizes: the largest are core
                t := ARRAY[sec.sizes[array_upper(sec.sizes, 1)] + 1,
                           sec.sizes[array_upper(sec.sizes, 1)]];
            END IF;
        ELSIF p_method = 'quantile' THEN
            SELECT ARRAY[ceil(percentile_disc((th ->> 'medium')::float8)
                                  WITHIN GROUP (ORDER BY x))::int,
                         ceil(percentile_disc((th ->> 'core')::float8)
                                  WITHIN GROUP (ORDER BY x))::int]
              INTO t FROM unnest(sec.sizes) AS x;
        ELSE
            t := ARRAY[(th ->> 'medium')::int, (th ->> 'core')::int];
        END IF;
        UPDATE clustering.clusters
           SET tier = CASE WHEN n_members >= t[2] THEN 'core'
                           WHEN n_members >= t[1] THEN 'medium' ELSE 'small' END
         WHERE run_id = p_run AND sector_id = sec.sector_id;
        resolved := resolved || jsonb_build_object(sec.code,
                                                   jsonb_build_object('medium', t[1], 'core', t[2]));
    END LOOP;
    RETURN jsonb_build_object('method', p_method, 'params', p_params, 'thresholds', resolved);
END
$$;
COMMENT ON FUNCTION clustering.assign_tiers(bigint, text, jsonb) IS
    'Assigns core/medium/small to the clusters of a run (jenks, quantile or absolute); returns the thresholds used.';
