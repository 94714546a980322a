-- Screening and merging of one load. Python streams the file into the temporary
-- table load_staging (begin_load); screen_load applies every rule set-based and
-- writes the rejects; merge_load upserts the accepted rows. All inside the load's
-- single transaction: a crash leaves the previous data exactly as it was.

CREATE OR REPLACE FUNCTION registry.begin_load()
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DROP TABLE IF EXISTS pg_temp.load_staging;
    CREATE TEMP TABLE load_staging (
        line_no bigint NOT NULL,   -- record number, 1 = first data row
        raw jsonb NOT NULL,        -- the row's values as a JSON array, in file order
        pre_reason text,           -- set by the reader: bad_encoding, nul_byte, field_count
        pre_message text
    ) ON COMMIT DROP;
END
$$;
COMMENT ON FUNCTION registry.begin_load() IS 'Creates the temporary staging table of a load.';

-- The outcome of a load, counted from what it recorded: rejected rows (by reason) are
-- those in registry.rejects, read = accepted + rejected.
CREATE OR REPLACE FUNCTION registry.outcome_counts(p_run bigint, p_accepted bigint)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('read', p_accepted + coalesce(sum(n), 0),
                              'accepted', p_accepted,
                              'rejected', coalesce(sum(n), 0),
                              'by_reason', coalesce(jsonb_object_agg(reason, n ORDER BY reason),
                                                    '{}'::jsonb))
      FROM (SELECT reason, count(*) AS n FROM registry.rejects
             WHERE load_run_id = p_run GROUP BY reason) r
$$;
COMMENT ON FUNCTION registry.outcome_counts(bigint, bigint) IS
    'Counts of a load: read, accepted, rejected and rejected by reason (from registry.rejects).';

-- p_fields: canonical field -> 0-based column index in raw (absent: not in the file).
CREATE OR REPLACE FUNCTION registry.screen_load(p_run bigint, p_fields jsonb, p_headers text[])
RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    -- Stage 1: the fields, with the per-row parses (each computed once).
    DROP TABLE IF EXISTS pg_temp.load_fields;
    CREATE TEMP TABLE load_fields ON COMMIT DROP AS
    SELECT f.*, registry.gbt4754_division(f.industry_code) AS division,
           CASE WHEN f.lon ~ '^[-+]?[0-9]{1,3}(\.[0-9]+)?$' THEN f.lon::float8 END AS x,
           CASE WHEN f.lat ~ '^[-+]?[0-9]{1,3}(\.[0-9]+)?$' THEN f.lat::float8 END AS y,
           est.value AS established_date, est.bad AS established_bad
    FROM (
        SELECT s.line_no, s.raw, s.pre_reason, s.pre_message,
               upper(nullif(btrim(s.raw ->> (p_fields ->> 'credit_code')::int), '')) AS credit_code,
               nullif(btrim(s.raw ->> (p_fields ->> 'name')::int), '') AS name,
               nullif(btrim(s.raw ->> (p_fields ->> 'status')::int), '') AS status,
               nullif(btrim(s.raw ->> (p_fields ->> 'industry_code')::int), '') AS industry_code,
               nullif(btrim(s.raw ->> (p_fields ->> 'business_scope')::int), '') AS business_scope,
               nullif(btrim(s.raw ->> (p_fields ->> 'tags')::int), '') AS tags,
               nullif(btrim(s.raw ->> (p_fields ->> 'capital')::int), '') AS capital,
               nullif(btrim(s.raw ->> (p_fields ->> 'established')::int), '') AS established,
               nullif(btrim(s.raw ->> (p_fields ->> 'district')::int), '') AS district,
               nullif(btrim(s.raw ->> (p_fields ->> 'address')::int), '') AS address,
               nullif(btrim(s.raw ->> (p_fields ->> 'lon')::int), '') AS lon,
               nullif(btrim(s.raw ->> (p_fields ->> 'lat')::int), '') AS lat,
               nullif(btrim(s.raw ->> (p_fields ->> 'size_class')::int), '') AS size_given,
               nullif(btrim(s.raw ->> (p_fields ->> 'digital_transformation')::int), '') AS dt_given,
               nullif(btrim(s.raw ->> (p_fields ->> 'deregistered')::int), '') AS deregistered
        FROM load_staging s
        OFFSET 0) f
    LEFT JOIN LATERAL registry.parse_date(f.established) est ON true;
    ANALYZE load_fields (credit_code, status, division, tags, capital, size_given);

    -- Stage 2: rules applied once per distinct value (statuses, industries, labels and
    -- capital strings repeat a lot), then joined back.
    DROP TABLE IF EXISTS pg_temp.load_screened;
    CREATE TEMP TABLE load_screened ON COMMIT DROP AS
    WITH statuses AS MATERIALIZED (
        SELECT d.status, c.active
          FROM (SELECT DISTINCT status FROM load_fields WHERE status IS NOT NULL) d
          LEFT JOIN LATERAL registry.classify_status(d.status) c ON true),
    sectors AS MATERIALIZED (
        SELECT d.*, c.sector_id, c.digital_label
          FROM (SELECT DISTINCT division, tags,
                       CASE WHEN division IS NULL THEN business_scope END AS scope
                  FROM load_fields) d
          LEFT JOIN LATERAL registry.classify_sector(d.division, d.tags, d.scope) c ON true),
    capitals AS MATERIALIZED (
        SELECT d.capital, c.*
          FROM (SELECT DISTINCT capital FROM load_fields) d
          LEFT JOIN LATERAL registry.parse_capital(d.capital) c ON true),
    deregs AS MATERIALIZED (
        SELECT d.deregistered, c.value
          FROM (SELECT DISTINCT deregistered FROM load_fields
                 WHERE deregistered IS NOT NULL) d
          LEFT JOIN LATERAL registry.parse_date(d.deregistered) c ON true),
    sizes AS MATERIALIZED (
        SELECT d.size_given, d.amount_cny, c.size_class, c.source
          FROM (SELECT DISTINCT f.size_given, c.amount_cny FROM load_fields f
                  JOIN capitals c ON coalesce(c.capital, '') = coalesce(f.capital, '')) d
          LEFT JOIN LATERAL registry.size_class_for(d.size_given, d.amount_cny) c ON true)
    SELECT f.*, st.active AS status_active, sec.sector_id, sec.digital_label,
           cap.amount, cap.currency, cap.amount_cny, cap.problem AS capital_problem,
           sz.size_class, sz.source AS size_source,
           dt.value::boolean AS digital_transformation, dg.value AS deregistered_date,
           -- Status comes last: a row rejected as status_inactive passed every other
           -- rule, so it can be kept as history (an inactive enterprise) by merge_load.
           CASE
               WHEN f.pre_reason IS NOT NULL THEN f.pre_reason
               WHEN f.credit_code IS NULL THEN 'credit_code_missing'
               WHEN NOT registry.credit_code_valid(f.credit_code) THEN 'credit_code_invalid'
               WHEN f.name IS NULL THEN 'name_missing'
               WHEN sec.sector_id IS NULL THEN 'non_digital'
               WHEN cap.problem IS NOT NULL THEN 'capital_irregular'
               WHEN f.x IS NULL OR f.y IS NULL THEN 'coordinates_missing'
               WHEN NOT registry.in_region(f.x, f.y, rg) AND registry.in_region(f.y, f.x, rg)
                   THEN 'coordinates_swapped'
               WHEN NOT registry.in_region(f.x, f.y, rg) THEN 'coordinates_outside_region'
               WHEN f.established_bad THEN 'bad_date'
               WHEN st.active IS NULL THEN 'status_unknown'
               WHEN NOT st.active THEN 'status_inactive'
           END AS reason
    FROM load_fields f
    CROSS JOIN registry.settings rg
    LEFT JOIN statuses st ON st.status = f.status
    LEFT JOIN sectors sec ON coalesce(sec.division, '') = coalesce(f.division, '')
         AND coalesce(sec.tags, '') = coalesce(f.tags, '')
         AND coalesce(sec.scope, '') = coalesce(CASE WHEN f.division IS NULL
                                                     THEN f.business_scope END, '')
    LEFT JOIN capitals cap ON coalesce(cap.capital, '') = coalesce(f.capital, '')
    LEFT JOIN sizes sz ON coalesce(sz.size_given, '') = coalesce(f.size_given, '')
         AND coalesce(sz.amount_cny, -1) = coalesce(cap.amount_cny, -1)
    LEFT JOIN registry.value_aliases dt
           ON dt.kind = 'boolean' AND dt.alias = lower(f.dt_given)
    LEFT JOIN deregs dg ON dg.deregistered = f.deregistered;

    -- Duplicates: the first accepted row of a credit code wins, later ones are rejected.
    UPDATE load_screened s SET reason = 'duplicate_credit_code'
      FROM (SELECT line_no, row_number() OVER (PARTITION BY credit_code ORDER BY line_no) AS n
              FROM load_screened WHERE reason IS NULL) d
     WHERE d.n > 1 AND s.line_no = d.line_no;
    ANALYZE load_screened (credit_code, reason);

    INSERT INTO registry.rejects (load_run_id, line_no, reason, message, credit_code, raw)
    SELECT p_run, s.line_no, s.reason,
           CASE s.reason
               WHEN 'credit_code_missing' THEN 'no unified social credit code'
               WHEN 'credit_code_invalid' THEN format('credit code %s is not a valid GB 32100 code (format or check digit)', s.credit_code)
               WHEN 'name_missing' THEN 'no enterprise name'
               WHEN 'status_unknown' THEN format('operating status %s matches no rule in registry.status_rules', coalesce(quote_literal(s.status), 'missing'))
               WHEN 'status_inactive' THEN format('operating status %s is excluded', quote_literal(s.status))
               WHEN 'non_digital' THEN format('industry %s / scope not digital (registry.sector_rules)', coalesce(quote_literal(s.industry_code), 'missing'))
               WHEN 'capital_irregular' THEN format('registered capital %s: %s', coalesce(quote_literal(s.capital), 'missing'), s.capital_problem)
               WHEN 'coordinates_missing' THEN format('longitude %s / latitude %s are not numbers', coalesce(quote_literal(s.lon), 'missing'), coalesce(quote_literal(s.lat), 'missing'))
               WHEN 'coordinates_swapped' THEN format('longitude %s and latitude %s look swapped', s.lon, s.lat)
               WHEN 'coordinates_outside_region' THEN format('(%s, %s) is outside the region extent in registry.settings', s.lon, s.lat)
               WHEN 'bad_date' THEN format('establishment date %s is not a valid date', quote_literal(s.established))
               WHEN 'duplicate_credit_code' THEN format('credit code %s already accepted from an earlier row', s.credit_code)
               ELSE coalesce(s.pre_message, s.reason)
           END,
           s.credit_code,
           (SELECT jsonb_object_agg(coalesce(p_headers[i], 'column_' || i), s.raw -> (i - 1))
              FROM generate_series(1, jsonb_array_length(s.raw)) AS i)
      FROM load_screened s
     WHERE s.reason IS NOT NULL;

    RETURN registry.outcome_counts(
        p_run, (SELECT count(*) FROM load_screened WHERE reason IS NULL));
END
$$;
COMMENT ON FUNCTION registry.screen_load(bigint, jsonb, text[]) IS
    'Applies every screening rule to load_staging; writes rejects; returns counts.';

CREATE OR REPLACE FUNCTION registry.merge_load(p_run bigint, p_crs text, p_full boolean)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    n_ins bigint;
    n_upd bigint;
    n_acc bigint;
    n_status bigint;
    n_hist bigint;
    n_missing bigint := 0;
BEGIN
    SELECT count(*) INTO n_acc FROM load_screened WHERE reason IS NULL;
    PERFORM registry.prepare_district_parts();
    WITH located AS MATERIALIZED (
        SELECT s.*, g.geom, d.name AS district_name, d.code AS district_code
          FROM (SELECT * FROM load_screened WHERE reason IS NULL
                UNION ALL
                -- History: enterprises that first appear already deregistered (they passed
                -- every rule but the status) are kept as inactive, for as-of snapshots.
                SELECT * FROM (
                    SELECT DISTINCT ON (h.credit_code) * FROM load_screened h
                     WHERE h.reason = 'status_inactive'
                       AND NOT EXISTS (SELECT FROM registry.enterprises e
                                        WHERE e.credit_code = h.credit_code)
                       AND NOT EXISTS (SELECT FROM load_screened a
                                        WHERE a.reason IS NULL AND a.credit_code = h.credit_code)
                     ORDER BY h.credit_code, h.line_no) hist) s
         CROSS JOIN LATERAL (SELECT publish.to_wgs84(s.x, s.y, p_crs) AS geom OFFSET 0) g
          LEFT JOIN LATERAL (SELECT p.name, p.code FROM district_parts p
                              WHERE ST_Intersects(p.geom, g.geom)
                              ORDER BY p.code LIMIT 1) d ON true),
    up AS (
        INSERT INTO registry.enterprises AS e (
            credit_code, name, status, active, inactive_since, industry_code, sector_id,
            digital_label, business_scope, capital_raw, capital_amount, capital_currency,
            capital_cny, established, size_class, size_class_source, digital_transformation,
            registered_district, address, source_crs, source_x, source_y, geom, district_name,
            district_code, first_load_run_id, last_load_run_id)
        SELECT s.credit_code, s.name, s.status, s.reason IS NULL,
               CASE WHEN s.reason IS NOT NULL THEN s.deregistered_date END,
               s.industry_code, s.sector_id,
               s.digital_label, s.business_scope, s.capital, s.amount, s.currency,
               s.amount_cny, s.established_date, s.size_class, s.size_source,
               s.digital_transformation, s.district, s.address, p_crs, s.x, s.y,
               s.geom, coalesce(s.district_name, s.district), s.district_code, p_run, p_run
          FROM located s
        ON CONFLICT (credit_code) DO UPDATE SET
            name = EXCLUDED.name, status = EXCLUDED.status, active = true, inactive_since = NULL,
            industry_code = EXCLUDED.industry_code, sector_id = EXCLUDED.sector_id,
            digital_label = EXCLUDED.digital_label, business_scope = EXCLUDED.business_scope,
            capital_raw = EXCLUDED.capital_raw, capital_amount = EXCLUDED.capital_amount,
            capital_currency = EXCLUDED.capital_currency, capital_cny = EXCLUDED.capital_cny,
            established = EXCLUDED.established, size_class = EXCLUDED.size_class,
            size_class_source = EXCLUDED.size_class_source,
            digital_transformation = EXCLUDED.digital_transformation,
            registered_district = EXCLUDED.registered_district, address = EXCLUDED.address,
            source_crs = EXCLUDED.source_crs, source_x = EXCLUDED.source_x,
            source_y = EXCLUDED.source_y, geom = EXCLUDED.geom,
            district_name = EXCLUDED.district_name, district_code = EXCLUDED.district_code,
            last_load_run_id = EXCLUDED.last_load_run_id, updated_at = now()
        WHERE NOT e.active
           OR (e.name, e.status, e.industry_code, e.sector_id, e.digital_label, e.business_scope,
               e.capital_raw, e.capital_cny, e.established, e.size_class, e.digital_transformation,
               e.registered_district, e.address, e.source_crs, e.source_x, e.source_y)
              IS DISTINCT FROM
              (EXCLUDED.name, EXCLUDED.status, EXCLUDED.industry_code, EXCLUDED.sector_id,
               EXCLUDED.digital_label, EXCLUDED.business_scope, EXCLUDED.capital_raw,
               EXCLUDED.capital_cny, EXCLUDED.established, EXCLUDED.size_class,
               EXCLUDED.digital_transformation, EXCLUDED.registered_district, EXCLUDED.address,
               EXCLUDED.source_crs, EXCLUDED.source_x, EXCLUDED.source_y)
        RETURNING (xmax = 0) AS inserted, e.active
    )
    SELECT count(*) FILTER (WHERE inserted AND active), count(*) FILTER (WHERE NOT inserted),
           count(*) FILTER (WHERE inserted AND NOT active)
      INTO n_ins, n_upd, n_hist FROM up;

    -- Enterprises the file reports as deregistered etc.: inactive, history kept.
    UPDATE registry.enterprises e
       SET active = false, inactive_since = coalesce(s.deregistered_date, current_date),
           status = s.status, last_load_run_id = p_run, updated_at = now()
      FROM load_screened s
     WHERE s.reason = 'status_inactive' AND s.credit_code = e.credit_code AND e.active;
    GET DIAGNOSTICS n_status = ROW_COUNT;

    -- A full refresh: enterprises not accepted from this file are no longer active.
    IF p_full THEN
        UPDATE registry.enterprises e
           SET active = false, inactive_since = current_date, last_load_run_id = p_run,
               updated_at = now()
         WHERE e.active
           AND NOT EXISTS (SELECT FROM load_screened s
                           WHERE s.reason IS NULL AND s.credit_code = e.credit_code);
        GET DIAGNOSTICS n_missing = ROW_COUNT;
    END IF;

    RETURN jsonb_build_object('inserted', n_ins, 'updated', n_upd,
                              'unchanged', n_acc - n_ins - n_upd,
                              'deactivated', n_status + n_missing, 'history', n_hist);
END
$$;
COMMENT ON FUNCTION registry.merge_load(bigint, text, boolean) IS
    'Upserts the accepted rows of load_screened by credit code; marks excluded or (full refresh) missing enterprises inactive; returns counts.';

-- District boundaries cut into small parts (ST_Subdivide) in a temporary table with
-- a GiST index: point-in-polygon on small parts is an order of magnitude faster.
-- Returns false when no boundaries are loaded.
CREATE OR REPLACE FUNCTION registry.prepare_district_parts()
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    DROP TABLE IF EXISTS pg_temp.district_parts;
    CREATE TEMP TABLE district_parts ON COMMIT DROP AS
        SELECT code, name, ST_Subdivide(geom, 64) AS geom FROM registry.districts;
    CREATE INDEX ON district_parts USING gist (geom);
    ANALYZE district_parts;
    RETURN EXISTS (SELECT FROM district_parts);
END
$$;
COMMENT ON FUNCTION registry.prepare_district_parts() IS
    'Creates the temporary table district_parts (subdivided boundaries) used for district lookups.';

-- District of every enterprise (after new boundaries): the boundary containing it,
-- else the registered district.
CREATE OR REPLACE FUNCTION registry.assign_districts()
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT registry.prepare_district_parts() THEN
        UPDATE registry.enterprises e
           SET district_name = e.registered_district, district_code = NULL
         WHERE (e.district_name, e.district_code) IS DISTINCT FROM (e.registered_district, NULL);
        RETURN;
    END IF;
    UPDATE registry.enterprises e
       SET district_name = coalesce(n.name, e.registered_district), district_code = n.code
      FROM (SELECT x.enterprise_id, d.name, d.code
              FROM registry.enterprises x
              LEFT JOIN LATERAL (SELECT p.name, p.code FROM district_parts p
                                  WHERE ST_Intersects(p.geom, x.geom)
                                  ORDER BY p.code LIMIT 1) d ON true) n
     WHERE n.enterprise_id = e.enterprise_id
       AND (e.district_name, e.district_code)
           IS DISTINCT FROM (coalesce(n.name, e.registered_district), n.code);
END
$$;
COMMENT ON FUNCTION registry.assign_districts() IS
    'Sets district_name/district_code of all enterprises from the boundaries (else the registered district).';

CREATE OR REPLACE FUNCTION registry.finish_load(p_run bigint, p_status text, p_counts jsonb,
                                                p_error text DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
    UPDATE registry.load_runs SET
        status = p_status,
        finished_at = clock_timestamp(),
        duration_s = extract(epoch FROM clock_timestamp() - started_at),
        rows_read = (p_counts ->> 'read')::bigint,
        rows_accepted = (p_counts ->> 'accepted')::bigint,
        rows_rejected = (p_counts ->> 'rejected')::bigint,
        rejected_by_reason = p_counts -> 'by_reason',
        rows_inserted = (p_counts ->> 'inserted')::bigint,
        rows_updated = (p_counts ->> 'updated')::bigint,
        rows_unchanged = (p_counts ->> 'unchanged')::bigint,
        rows_deactivated = (p_counts ->> 'deactivated')::bigint,
        rows_history = (p_counts ->> 'history')::bigint,
        error = p_error
    WHERE load_run_id = p_run
$$;
COMMENT ON FUNCTION registry.finish_load(bigint, text, jsonb, text) IS
    'Records the outcome and counts of a load run.';
