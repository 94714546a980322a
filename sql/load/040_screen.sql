-- Screening and merging of one load. Python streams the file into the staging table
-- load_work.staging (begin_load); screen_load applies every rule set-based and writes
-- the rejects; merge_load inserts new and updates changed enterprises. All inside the
-- load's single transaction: a crash leaves the previous data exactly as it was.

-- Scratch tables live in schema load_work (created by begin_load, dropped by end_load,
-- all inside the load's transaction: a crash leaves none behind). They are UNLOGGED
-- tables, not temporary ones, so that PostgreSQL can scan them with parallel workers:
-- the per-row parses and coordinate conversions then use both cores. The functions that
-- create them are SECURITY DEFINER (the loader role has no CREATE anywhere); the one table
-- the client writes, the staging table, is granted to it for its COPY. screen_load and
-- merge_load make parallel plans cheaper than the defaults do: the planner costs a regular
-- expression or a trigonometric function like an addition, so it would otherwise judge
-- moving a row between processes dearer than parsing it. They also ANALYZE their scratch
-- tables with a statistics target of 10 (3,000 sampled rows, not 30,000): the plans
-- need row counts and rough distinct counts, and the default target's sorting of 30,000
-- values per column cost 0.4-0.7 s per million-row table, about 3 s of a first load.
CREATE OR REPLACE FUNCTION registry.end_load()
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    t text;
BEGIN
    DROP VIEW IF EXISTS load_work.staged, load_work.incoming, load_work.to_locate;
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'load_work' LOOP
        EXECUTE format('DROP TABLE load_work.%I', t);
    END LOOP;
END
$$;
COMMENT ON FUNCTION registry.end_load() IS 'Drops the scratch tables of a load (schema load_work).';

-- An enterprise's district name: the name of the boundary holding it, else the district
-- its registry file gave (the one place of that rule: loads and load-districts).
-- Inlined by the planner (SQL, IMMUTABLE): no cost per row.
CREATE OR REPLACE FUNCTION registry.district_name(p_boundary text, p_registered text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(p_boundary, p_registered)
$$;
COMMENT ON FUNCTION registry.district_name(text, text) IS
    'District name of an enterprise: the boundary''s name (p_boundary), else the registered district.';

-- Staging: one text column per file column (c1, c2, ... in file order), filled by the
-- client's COPY; line_no numbers the records in file order (1 = first data row). Rows the
-- reader flagged keep their reason and their values as read (pre_raw, a JSON array).
-- pre_row: the record's row in its file, where Python's reader read it (blank rows may
-- come between records); NULL where the server parsed the file (it refuses blank lines,
-- so the row is the record's number plus the rows above, registry.load_runs.rows_above).
CREATE OR REPLACE FUNCTION registry.begin_load(p_width integer)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM registry.end_load();
    EXECUTE format('CREATE UNLOGGED TABLE load_work.staging (line_no bigint GENERATED ALWAYS '
                   'AS IDENTITY, %s, pre_reason text, pre_message text, pre_raw jsonb, pre_row bigint) '
                   'WITH (autovacuum_enabled = false)',
                   (SELECT string_agg(format('%I text', 'c' || i), ', ' ORDER BY i)
                      FROM generate_series(1, p_width) i));
    PERFORM registry.job_writers('load_work.staging', true);
END
$$;
COMMENT ON FUNCTION registry.begin_load(integer) IS
    'Creates the staging table of a load (load_work.staging, columns c1..cN) for the client''s COPY.';

-- A row the Python reader flagged, as read (a JSON array of any length) -> header ->
-- value; values beyond the headers are column_N.
CREATE OR REPLACE FUNCTION registry.raw_row(p_vals jsonb, p_headers text[])
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_object_agg(coalesce(p_headers[i], 'column_' || i), p_vals -> (i - 1)),
                    '{}'::jsonb)
      FROM generate_series(1, jsonb_array_length(p_vals)) AS i
$$;
COMMENT ON FUNCTION registry.raw_row(jsonb, text[]) IS
    'A row as read (JSON array) -> JSON object of header -> value (extra values: column_N).';

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

-- The rule tables users edit, which the screening reads: one list, for the statistics
-- the screening gathers on them and for its signature. STABLE, not IMMUTABLE: the names
-- become OIDs through the catalog, which a dropped and re-created table changes.
CREATE OR REPLACE FUNCTION registry.rule_tables()
RETURNS regclass[] LANGUAGE sql STABLE AS $$
    SELECT ARRAY['registry.status_rules', 'registry.sector_rules', 'registry.industry_divisions',
                 'registry.value_aliases', 'registry.currency_rates', 'registry.size_thresholds',
                 'registry.size_employee_thresholds']::regclass[]
$$;
COMMENT ON FUNCTION registry.rule_tables() IS
    'The rule tables users edit that the screening of a load reads (registry.screening_signature).';

-- What the screening of a load reads besides the file, as one MD5: the rule tables,
-- the region and SRID (registry.settings), and the source of the loader's functions
-- (schema registry), which an upgrade may change (revision 0089 read capitals it had
-- rejected). The loader reads a file again when this differs from the last load's
-- (registry.load_runs.screening), though its content is the same: "already loaded"
-- means loaded by today's rules. Rows are compared as text, in order.
CREATE OR REPLACE FUNCTION registry.screening_signature()
RETURNS text LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    v_table regclass;
    v_rows text;
    v_all text := '';
BEGIN
    FOREACH v_table IN ARRAY 'registry.settings'::regclass || registry.rule_tables() LOOP
        EXECUTE format('SELECT string_agg(t::text, E''\n'' ORDER BY t::text) FROM %s t', v_table)
           INTO v_rows;
        v_all := v_all || v_table::text || E'\n' || coalesce(v_rows, '') || E'\n';
    END LOOP;
    RETURN md5(v_all || (SELECT string_agg(p.oid::regprocedure::text || E'\n' || p.prosrc, E'\n'
                                           ORDER BY p.oid::regprocedure::text)
                           FROM pg_proc p WHERE p.pronamespace = 'registry'::regnamespace));
END
$$;
COMMENT ON FUNCTION registry.screening_signature() IS
    'MD5 of what a load''s screening reads besides the file: the rule tables (registry.rule_tables), the region and SRID, the source of the registry functions. A file is loaded again, though its content is the same as the last load''s, when this changed (registry.load_runs.screening).';

-- p_fields: every canonical field (columns.FIELDS, the one list of them) -> 0-based
-- column index of the file, or null when the file lacks it.
-- p_crs: the coordinate system of the file's coordinates (publish.to_wgs84).
-- Four steps, each one statement over the whole load (set-based, parallel where the work
-- is per row): fields (per-row parses), rule dictionaries (each rule evaluated once per
-- distinct value: statuses, industries, labels, capitals and dates repeat a lot),
-- screened (joined back, with the reason and the WGS-84 point), then duplicates and
-- rejects.
DROP FUNCTION IF EXISTS registry.screen_load(bigint, jsonb, text[]);
CREATE OR REPLACE FUNCTION registry.screen_load(p_run bigint, p_fields jsonb, p_headers text[],
                                                p_crs text)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
SET work_mem = '512MB' SET default_statistics_target = 10
SET parallel_setup_cost = 100 SET parallel_tuple_cost = 0.001 AS $$
DECLARE
    -- the region extent (registry.settings), for registry.in_region
    x0 double precision;
    y0 double precision;
    x1 double precision;
    y1 double precision;
    v_region text;  -- its text (registry.region), in the rejects' messages and the run
    -- the unit a capital column's header states, 注册资本(元) say, when the capital
    -- parser reads it: a bare number in that column is in it (NULL: the parser's default)
    v_capital_unit text;
    v_rules regclass;
BEGIN
    SELECT west, south, east, north, description
      INTO STRICT x0, y0, x1, y1, v_region
      FROM registry.region;
    -- the region this load screened with, and the rest of what it screens with: they
    -- can change later (db region, an edit of a rule table, an upgrade)
    UPDATE registry.load_runs SET region = v_region, screening = registry.screening_signature(),
                                  headers = p_headers
     WHERE load_run_id = p_run;
    SELECT max(u) INTO v_capital_unit
      FROM substring(p_headers[(p_fields->>'capital')::int + 1]
                     FROM '[(（]\s*([^)）]*?)\s*[)）]') AS u
     WHERE u <> '' AND (SELECT problem IS NULL FROM registry.parse_capital('1', u));
    -- statistics for the planner: the staging table, and the rule tables users edit
    ANALYZE load_work.staging;
    FOREACH v_rules IN ARRAY registry.rule_tables() LOOP
        EXECUTE format('ANALYZE %s', v_rules);
    END LOOP;
    -- The staging columns under the field names (the only statement built as text: its
    -- column names come from the mapping). raw: the row as read, header -> value, for
    -- the rejects table (jsonb_build_object takes 50 pairs at most: chunks joined by ||).
    EXECUTE format('CREATE VIEW load_work.staged AS SELECT s.line_no, s.pre_reason, '
                   's.pre_message, s.pre_row, %s, CASE WHEN s.pre_raw IS NULL THEN %s '
                   'ELSE registry.raw_row(s.pre_raw, %L) END AS raw FROM load_work.staging s',
        (SELECT string_agg(format('%s AS %I',
                    CASE WHEN i IS NOT NULL
                         THEN format('registry.field_value(s.%I)', 'c' || (i::int + 1))
                         -- lon and lat from one column of both ("113.12,23.04", as
                         -- Amap's geocoder gives them; comma, semicolon or space
                         -- between, full-width too); one that does not split is kept
                         -- whole as the longitude, so that its reject shows what it held
                         WHEN f IN ('lon', 'lat') AND p_fields->>'lonlat' IS NOT NULL
                         THEN format(CASE f WHEN 'lon'
                                     THEN 'coalesce((regexp_match(registry.halfwidth(registry.field_value(s.%1$I)), %2$L))[1], registry.field_value(s.%1$I))'
                                     ELSE '(regexp_match(registry.halfwidth(registry.field_value(s.%1$I)), %2$L))[2]' END,
                                     'c' || ((p_fields->>'lonlat')::int + 1),
                                     '^([-+]?[0-9]+(?:\.[0-9]+)?)\s*[,;\s]\s*([-+]?[0-9]+(?:\.[0-9]+)?)$')
                         ELSE 'NULL::text' END, f), ', ')
           FROM jsonb_each_text(p_fields) AS m(f, i)),
        (SELECT string_agg(format('jsonb_build_object(%s)', pairs), ' || ')
           FROM (SELECT string_agg(format('%L, coalesce(s.%I, %L)', p_headers[i], 'c' || i, ''),
                                   ', ' ORDER BY i) AS pairs
                   FROM generate_series(1, cardinality(p_headers)) i
                  GROUP BY (i - 1) / 50) c),
        p_headers);

    -- Step 1: the fields, with the parses that are per row (coordinates). A static
    -- statement with no optimisation fence, so that parallel workers do the parsing.
    CREATE UNLOGGED TABLE load_work.fields WITH (autovacuum_enabled = false) AS
    SELECT s.line_no, s.pre_reason, s.pre_message,
           registry.credit_code_form(s.credit_code) AS credit_code,
           s.name, s.status, s.industry_code, s.business_scope, s.tags, s.capital,
           s.established, s.district, s.address, s.lon, s.lat,
           s.size_class AS size_given, s.employees AS employees_given,
           s.digital_transformation AS dt_given, s.deregistered,
           registry.parse_coordinate(s.lon) AS x, registry.parse_coordinate(s.lat) AS y,
           -- join keys of the capital and size dictionaries ('' for missing: plain
           -- equality, so the planner has statistics and hash joins)
           coalesce(s.capital, '') AS capital_key, coalesce(s.size_class, '') AS size_key
    FROM load_work.staged s;
    ANALYZE load_work.fields;

    -- Step 2: every rule once per distinct value.
    CREATE UNLOGGED TABLE load_work.statuses AS
        SELECT d.status, c.active
          FROM (SELECT DISTINCT status FROM load_work.fields WHERE status IS NOT NULL) d
          LEFT JOIN LATERAL registry.classify_status(d.status) c ON true;
    CREATE UNLOGGED TABLE load_work.divisions AS
        SELECT d.industry_code, registry.gbt4754_division(d.industry_code) AS division
          FROM (SELECT DISTINCT industry_code FROM load_work.fields
                 WHERE industry_code IS NOT NULL) d;
    ANALYZE load_work.divisions;
    CREATE UNLOGGED TABLE load_work.sectors AS
        SELECT d.division, d.tags, d.scope, c.sector_id, c.digital_label
          FROM (SELECT DISTINCT v.division, f.tags,
                       CASE WHEN v.division IS NULL THEN f.business_scope END AS scope
                  FROM load_work.fields f
                  LEFT JOIN load_work.divisions v ON v.industry_code = f.industry_code) d
          LEFT JOIN LATERAL registry.classify_sector(d.division, d.tags, d.scope) c ON true;
    -- capitals: parsed in one set-based call; with the size class each one derives
    CREATE UNLOGGED TABLE load_work.capitals AS
        SELECT coalesce(c.raw, '') AS capital_key, c.amount, c.currency, c.amount_cny,
               c.problem, sd.size_class AS size_derived
          FROM registry.parse_capitals(
                   (SELECT array_agg(k) FROM (SELECT DISTINCT nullif(capital_key, '') AS k
                                                FROM load_work.fields) d), v_capital_unit) c
          LEFT JOIN LATERAL registry.size_class_derived(c.amount_cny) sd ON true;
    CREATE UNLOGGED TABLE load_work.sizes AS
        SELECT d.size_key, registry.size_class_given(nullif(d.size_key, '')) AS given_class
          FROM (SELECT DISTINCT size_key FROM load_work.fields) d;
    -- employees: each value once, as a count or a band, and its size class in each sector
    CREATE UNLOGGED TABLE load_work.staff AS
        SELECT d.raw, b.lo, b.hi, CASE WHEN b.lo = b.hi THEN b.lo END AS employees
          FROM (SELECT DISTINCT employees_given AS raw FROM load_work.fields
                 WHERE employees_given IS NOT NULL) d
          LEFT JOIN LATERAL registry.parse_employee_band(d.raw) b ON true;
    CREATE UNLOGGED TABLE load_work.staff_sizes AS
        SELECT t.sector_id, s.raw, c.size_class
          FROM load_work.staff s
         CROSS JOIN registry.sectors t
         CROSS JOIN LATERAL registry.size_class_by_band(t.sector_id, s.lo, s.hi) c
         WHERE s.lo IS NOT NULL;
    CREATE UNLOGGED TABLE load_work.dates AS
        SELECT d.raw, p.value, p.bad
          FROM (SELECT established AS raw FROM load_work.fields WHERE established IS NOT NULL
                UNION
                SELECT deregistered FROM load_work.fields WHERE deregistered IS NOT NULL) d
          CROSS JOIN LATERAL registry.parse_date(d.raw) p;
    ANALYZE load_work.statuses, load_work.sectors, load_work.capitals, load_work.sizes,
        load_work.staff, load_work.staff_sizes, load_work.dates;

    -- Step 3: joined back; the reason is the first rule a row fails. Points inside the
    -- region are converted to WGS-84 here, in parallel workers (the GCJ-02 inverse is the
    -- costliest per-row work of a load), rather than in a pass of their own later.
    -- A rejected row that names a known enterprise by a valid credit code can still say
    -- something of it (says): 'closed', that it closed (a status rule excludes it),
    -- whatever else the row fails (no coordinates, a capital unread: a closed firm's row
    -- is often left incomplete); 'non_digital', that it is operating but no longer in a
    -- digital sector (its industry or scope changed: rejected as non_digital, its status
    -- kept). merge_load takes a known enterprise out of the active ones by it. Under
    -- --incremental both stayed active (and clustered); a full refresh marked them
    -- missing, their status and date not taken. The check digit is computed again only
    -- for the rows of an excluded status (a non_digital row passed it).
    CREATE UNLOGGED TABLE load_work.screened WITH (autovacuum_enabled = false) AS
    SELECT q.*, CASE WHEN q.status_active IS FALSE AND q.pre_reason IS NULL
                          AND q.credit_code IS NOT NULL
                     THEN CASE WHEN registry.credit_code_valid(q.credit_code) THEN 'closed' END
                     WHEN q.reason = 'non_digital' AND q.status_active THEN 'non_digital'
                END AS says
      FROM (
    SELECT f.line_no, f.pre_reason, f.pre_message, f.credit_code, f.name, f.status,
           f.industry_code, f.business_scope, f.capital, f.established, f.district, f.address,
           f.lon, f.lat, f.x, f.y, sec.sector_id, sec.digital_label,
           cap.amount, cap.currency, cap.amount_cny, cap.problem AS capital_problem,
           sz.size_class, sz.source AS size_source, stf.employees,
           dt.value::boolean AS digital_transformation,
           est.value AS established_date, dg.value AS deregistered_date,
           CASE WHEN registry.in_region(f.x, f.y, x0, y0, x1, y1)
                THEN publish.to_wgs84(f.x, f.y, p_crs) END AS geom,
           st.active AS status_active,
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
               WHEN NOT registry.in_region(f.x, f.y, x0, y0, x1, y1)
                    AND registry.in_region(f.y, f.x, x0, y0, x1, y1) THEN 'coordinates_swapped'
               WHEN NOT registry.in_region(f.x, f.y, x0, y0, x1, y1) THEN 'coordinates_outside_region'
               WHEN est.bad THEN 'bad_date'
               WHEN st.active IS NULL THEN 'status_unknown'
               WHEN NOT st.active THEN 'status_inactive'
           END AS reason
    FROM load_work.fields f
    LEFT JOIN load_work.statuses st ON st.status = f.status
    LEFT JOIN load_work.divisions v ON v.industry_code = f.industry_code
    LEFT JOIN load_work.sectors sec ON coalesce(sec.division, '') = coalesce(v.division, '')
         AND coalesce(sec.tags, '') = coalesce(f.tags, '')
         AND coalesce(sec.scope, '') = coalesce(CASE WHEN v.division IS NULL
                                                     THEN f.business_scope END, '')
    LEFT JOIN load_work.capitals cap ON cap.capital_key = f.capital_key
    LEFT JOIN load_work.sizes sg ON sg.size_key = f.size_key
    LEFT JOIN load_work.staff stf ON stf.raw = f.employees_given
    LEFT JOIN load_work.staff_sizes ssz ON ssz.sector_id = sec.sector_id
         AND ssz.raw = f.employees_given
    CROSS JOIN LATERAL registry.size_pick(sg.given_class, ssz.size_class, cap.size_derived) sz
    LEFT JOIN registry.value_aliases dt
           ON dt.kind = 'boolean' AND dt.alias = lower(f.dt_given)
    LEFT JOIN load_work.dates est ON est.raw = f.established
    LEFT JOIN load_work.dates dg ON dg.raw = f.deregistered) q;

    ANALYZE load_work.screened;

    -- Step 4: duplicates (the first accepted row of a credit code wins), then rejects.
    -- Both are found by parallel queries into scratch tables first (an UPDATE or an
    -- INSERT never runs in parallel workers), then written by line number.
    -- load_work.same_code: the rows after the first accepted one of their code (the
    -- duplicates), and every row that says something of its enterprise (says: closed,
    -- or no longer digital) with the first accepted line of its code (NULL: none).
    -- merge_load takes the inactive rows from this small table (the history, the
    -- closures and the departures) instead of scanning all of load_work.screened twice
    -- more.
    CREATE UNLOGGED TABLE load_work.same_code AS
    SELECT s.line_no, s.reason, s.says, s.credit_code, s.status, s.deregistered_date,
           d.first_accepted
      FROM load_work.screened s
      JOIN (SELECT credit_code, min(line_no) FILTER (WHERE reason IS NULL) AS first_accepted
              FROM load_work.screened
             WHERE reason IS NULL OR says IS NOT NULL
             GROUP BY credit_code
            HAVING count(*) > 1 OR bool_or(reason IS NOT NULL)) d
        ON s.credit_code = d.credit_code
     WHERE (s.reason IS NULL AND s.line_no > d.first_accepted) OR s.says IS NOT NULL;
    ANALYZE load_work.same_code;
    UPDATE load_work.screened s SET reason = 'duplicate_credit_code'
      FROM load_work.same_code d WHERE d.reason IS NULL AND s.line_no = d.line_no;

    CREATE UNLOGGED TABLE load_work.rejected AS
    SELECT p_run AS load_run_id, s.line_no, s.reason,
           CASE s.reason
               WHEN 'credit_code_missing' THEN 'no unified social credit code'
               -- a code of digits only, stored as a number by a spreadsheet: Excel shows
               -- it (and saves it in a CSV) as 9.14406E+17, and keeps 15 of its digits
               WHEN 'credit_code_invalid' THEN CASE
                   WHEN s.credit_code ~ '^[0-9]\.[0-9]+E\+?1[4-7]$'
                   THEN format('credit code %s is a number in scientific notation: the spreadsheet stored the code as a number and kept only 15 of its digits; format the column as text in the workbook and export it again', s.credit_code)
                   ELSE format('credit code %s is not a valid GB 32100 code (format or check digit)', s.credit_code) END
               WHEN 'name_missing' THEN 'no enterprise name'
               WHEN 'status_unknown' THEN format('operating status %s matches no rule in registry.status_rules', coalesce(quote_literal(s.status), 'missing'))
               WHEN 'status_inactive' THEN format('operating status %s is excluded', quote_literal(s.status))
               WHEN 'non_digital' THEN format('industry %s / scope not digital (registry.sector_rules)', coalesce(quote_literal(s.industry_code), 'missing'))
               WHEN 'capital_irregular' THEN format('registered capital %s: %s', coalesce(quote_literal(s.capital), 'missing'), s.capital_problem)
               -- what is wrong with each of the two: '1e+308' or '113°07′' is a number or
               -- a location, but not one of decimal degrees as the rule reads them
               WHEN 'coordinates_missing' THEN CASE
                   -- pre_message without a pre_reason: what a point layer's feature
                   -- has instead of a point (the reader's note)
                   WHEN s.lon IS NULL AND s.lat IS NULL
                   THEN coalesce(s.pre_message, 'no longitude and no latitude')
                   ELSE concat_ws('; ',
                       CASE WHEN s.lon IS NULL THEN 'no longitude'
                            WHEN s.x IS NULL THEN format('longitude %L is not a decimal number of degrees (like 113.12)', s.lon) END,
                       CASE WHEN s.lat IS NULL THEN 'no latitude'
                            WHEN s.y IS NULL THEN format('latitude %L is not a decimal number of degrees (like 23.02)', s.lat) END) END
               WHEN 'coordinates_swapped' THEN format('longitude %s and latitude %s look swapped', s.lon, s.lat)
               WHEN 'coordinates_outside_region' THEN format('(%s, %s) is outside the region %s', s.lon, s.lat, v_region)
               WHEN 'bad_date' THEN format('establishment date %s is not a valid date', quote_literal(s.established))
               WHEN 'duplicate_credit_code' THEN format('credit code %s already accepted from an earlier row', s.credit_code)
               ELSE coalesce(s.pre_message, s.reason)
           END AS message,
           s.credit_code, t.raw, t.pre_row
      FROM load_work.screened s
      JOIN load_work.staged t ON t.line_no = s.line_no
     WHERE s.reason IS NOT NULL;
    -- A load of several files numbers its records across them; a reject is told by its
    -- part and its record number in that part's file (registry.load_runs.parts), and
    -- found there by its row (the reader's, else its number below the rows above).
    INSERT INTO registry.rejects (load_run_id, part, line_no, file_row, reason, message,
                                  credit_code, raw)
    SELECT r.load_run_id, p.part, n.record,
           coalesce(r.pre_row, n.record + l.rows_above[coalesce(p.part, 1)]),
           r.reason, r.message, r.credit_code, r.raw
      FROM load_work.rejected r
      JOIN registry.load_runs l ON l.load_run_id = p_run
      LEFT JOIN (SELECT (e ->> 'part')::smallint AS part,
                        (e ->> 'first_line')::bigint AS first_line,
                        (e ->> 'first_line')::bigint + (e ->> 'records')::bigint - 1
                            AS last_line
                   FROM registry.load_runs lr, jsonb_array_elements(lr.parts) e
                  WHERE lr.load_run_id = p_run) p
        ON r.line_no BETWEEN p.first_line AND p.last_line
     CROSS JOIN LATERAL (SELECT r.line_no - coalesce(p.first_line, 1) + 1 AS record) n;

    RETURN registry.outcome_counts(
        p_run, (SELECT count(*) FROM load_work.screened WHERE reason IS NULL));
END
$$;
COMMENT ON FUNCTION registry.screen_load(bigint, jsonb, text[], text) IS
    'Applies every screening rule to load_work.staging; writes rejects; returns counts.';

-- Inserting many rows into an empty table is faster without its indexes, each built
-- afterwards in one pass (parallel btree builds, sorted GiST build), than with the
-- indexes maintained row by row: 950,000 enterprises took 25 s against 13 s. Drops the
-- indexes of p_table (constraints backed by one too) and returns the statements that
-- re-create them, as they were; nothing when another table's foreign key needs one.
-- Within the caller's transaction: a failed load rolls the drop back.
CREATE OR REPLACE FUNCTION registry.drop_indexes(p_table regclass)
RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    v_drop text[];
    v_redo text[];
    v_stmt text;
BEGIN
    IF EXISTS (SELECT FROM pg_constraint WHERE confrelid = p_table) THEN
        RETURN '{}';
    END IF;
    SELECT array_agg(CASE WHEN c.oid IS NULL THEN format('DROP INDEX %s', i.indexrelid::regclass)
                          ELSE format('ALTER TABLE %s DROP CONSTRAINT %I', p_table, c.conname) END),
           array_agg(CASE WHEN c.oid IS NULL THEN pg_get_indexdef(i.indexrelid)
                          ELSE format('ALTER TABLE %s ADD CONSTRAINT %I %s', p_table, c.conname,
                                      pg_get_constraintdef(c.oid)) END)
      INTO v_drop, v_redo
      FROM pg_index i
      LEFT JOIN pg_constraint c ON c.conrelid = i.indrelid AND c.conindid = i.indexrelid
                               AND c.contype IN ('p', 'u', 'x')
     WHERE i.indrelid = p_table;
    FOREACH v_stmt IN ARRAY coalesce(v_drop, '{}') LOOP
        EXECUTE v_stmt;
    END LOOP;
    RETURN coalesce(v_redo, '{}');
END
$$;
COMMENT ON FUNCTION registry.drop_indexes(regclass) IS
    'Drops a table''s indexes before a bulk insert; returns the statements re-creating them.';

-- p_accepted: the accepted rows screen_load counted (unchanged = accepted - inserted
-- - updated), so they are not counted again.
DROP FUNCTION IF EXISTS registry.merge_load(bigint, text, boolean);
CREATE OR REPLACE FUNCTION registry.merge_load(p_run bigint, p_crs text, p_full boolean,
                                               p_accepted bigint)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp SET work_mem = '512MB'
SET maintenance_work_mem = '512MB' SET default_statistics_target = 10
SET parallel_setup_cost = 100 SET parallel_tuple_cost = 0.001 AS $$
DECLARE
    v_rebuild text[] := '{}';
    v_stmt text;
    v_first boolean := NOT EXISTS (SELECT FROM registry.enterprises);
    v_seq regclass := pg_get_serial_sequence('registry.enterprises', 'enterprise_id');
    v_base bigint;
    n_ins bigint;
    n_upd bigint;
    n_closed bigint;
    n_hist bigint;
    n_left bigint;
    n_missing bigint := 0;
    n_restated bigint;
    v_active_before bigint;
BEGIN
    -- The enterprises active before an incremental load that may deactivate some (its
    -- rows say of an active one that it closed or left the digital sectors), for the
    -- caller's mass-deactivation guard: a count of the registry, only then. (Not for a
    -- corrected rejects file whose non_digital rows name firms the registry does not
    -- have: one index probe per such row decides. A full refresh's count comes without
    -- a scan, below.)
    IF NOT p_full AND EXISTS (SELECT FROM load_work.same_code s
                                JOIN registry.enterprises e ON e.credit_code = s.credit_code
                               WHERE s.says IS NOT NULL AND e.active) THEN
        SELECT count(*) INTO v_active_before FROM registry.enterprises WHERE active;
    END IF;
    -- History: enterprises that first appear already deregistered (they passed every
    -- rule but the status) are kept as inactive, for as-of snapshots.
    CREATE UNLOGGED TABLE load_work.history AS
    SELECT DISTINCT ON (h.credit_code) h.line_no FROM load_work.same_code h
     WHERE h.reason = 'status_inactive' AND h.first_accepted IS NULL
       AND NOT EXISTS (SELECT FROM registry.enterprises e WHERE e.credit_code = h.credit_code)
     ORDER BY h.credit_code, h.line_no;

    -- The district of each incoming row (accepted, and history candidates): per-row work,
    -- in parallel workers (registry.locate_points: an empty table without boundaries).
    CREATE VIEW load_work.to_locate AS
    SELECT line_no, geom FROM load_work.screened
     WHERE reason IS NULL OR reason = 'status_inactive';
    PERFORM registry.locate_points('load_work.to_locate', 'line_no', 'load_work');
    -- (history as a hashed subplan under the OR: a join made the planner hash all of
    -- load_work.screened, 1.3 s at a million rows)
    CREATE VIEW load_work.incoming AS
    SELECT s.*, registry.district_name(d.name, s.district) AS district_name, l.district_code
      FROM load_work.screened s
      LEFT JOIN load_work.located l USING (line_no)
      LEFT JOIN registry.districts d ON d.code = l.district_code
     WHERE s.reason IS NULL
        OR (s.reason = 'status_inactive' AND s.line_no IN (SELECT line_no FROM load_work.history));

    -- Each incoming row against the registry, in one parallel join: the enterprise with
    -- its credit code (NULL: a new one) and, for accepted rows, whether it changed (or
    -- is inactive and back in the file). The update, the insert and the missing
    -- enterprises below come from this table by id: one join of a million rows on the
    -- credit code instead of three (4.2 s against 2.6-3.1 s at a million rows).
    -- Changed enterprises are updated; unchanged ones are not touched at all: no new
    -- row version, no index entry, no lock. Nothing to compare on a first load.
    n_upd := 0;
    IF NOT v_first THEN
        CREATE UNLOGGED TABLE load_work.matched AS
        SELECT s.line_no, s.reason, e.enterprise_id, e.active AS was_active,
               s.reason IS NULL AND e.enterprise_id IS NOT NULL
               AND (NOT e.active
                    OR (e.name, e.status, e.industry_code, e.sector_id, e.digital_label,
                        e.business_scope, e.capital_raw, e.capital_cny, e.established,
                        e.size_class, e.size_class_source, e.employees,
                        e.digital_transformation, e.registered_district, e.address,
                        e.source_crs, e.source_x, e.source_y)
                       IS DISTINCT FROM
                       (s.name, s.status, s.industry_code, s.sector_id, s.digital_label,
                        s.business_scope, s.capital, s.amount_cny, s.established_date,
                        s.size_class, s.size_source, s.employees, s.digital_transformation,
                        s.district, s.address, p_crs, s.x, s.y)) AS changed
          FROM load_work.screened s
          LEFT JOIN registry.enterprises e ON e.credit_code = s.credit_code
         WHERE s.reason IS NULL OR s.says IS NOT NULL;
        ANALYZE load_work.matched;
        UPDATE registry.enterprises e SET
            name = s.name, status = s.status, active = true, inactive_since = NULL,
            inactive_reason = NULL, industry_code = s.industry_code, sector_id = s.sector_id,
            digital_label = s.digital_label, business_scope = s.business_scope,
            capital_raw = s.capital, capital_amount = s.amount, capital_currency = s.currency,
            capital_cny = s.amount_cny, established = s.established_date,
            size_class = s.size_class, size_class_source = s.size_source,
            employees = s.employees, digital_transformation = s.digital_transformation,
            registered_district = s.district, address = s.address, source_crs = p_crs,
            source_x = s.x, source_y = s.y, geom = s.geom,
            district_name = s.district_name,
            district_code = s.district_code, last_load_run_id = p_run, updated_at = now()
          FROM load_work.matched c
          JOIN load_work.incoming s USING (line_no)
         WHERE c.changed AND e.enterprise_id = c.enterprise_id;
        GET DIAGNOSTICS n_upd = ROW_COUNT;

        CREATE UNLOGGED TABLE load_work.new AS  -- (accepted rows and history candidates)
        SELECT line_no FROM load_work.matched
         WHERE enterprise_id IS NULL AND (reason IS NULL OR reason = 'status_inactive');
        ANALYZE load_work.new;
    ELSE
        -- nothing in the registry to match; every row is new
        CREATE UNLOGGED TABLE load_work.matched (line_no bigint, reason text,
            enterprise_id bigint, was_active boolean, changed boolean);
        ANALYZE load_work.matched;
        CREATE UNLOGGED TABLE load_work.new (line_no bigint);
    END IF;

    -- New enterprises; ids follow the file, so the same file gives the same ids. The
    -- first load into an empty registry takes the ids base + line number (no sort of a
    -- million wide rows; base continues the sequence, so no id is ever reused) and builds
    -- the indexes after the insert. Later loads number their few new rows in file order.
    IF v_first THEN
        v_rebuild := registry.drop_indexes('registry.enterprises');
        v_base := nextval(v_seq) - 1;
    END IF;
    -- (a re-load that adds nothing skips the statement: it would scan load_work.screened)
    n_ins := 0;
    IF v_first OR EXISTS (SELECT FROM load_work.new) THEN
        INSERT INTO registry.enterprises (
            enterprise_id, credit_code, name, status, active, inactive_since, inactive_reason,
            industry_code, sector_id, digital_label, business_scope, capital_raw, capital_amount,
            capital_currency, capital_cny, established, size_class, size_class_source,
            employees, digital_transformation, registered_district, address, source_crs,
            source_x, source_y, geom, district_name, district_code, first_load_run_id,
            last_load_run_id)
        OVERRIDING SYSTEM VALUE
        SELECT CASE WHEN v_first THEN v_base + s.line_no ELSE nextval(v_seq) END,
               s.credit_code, s.name, s.status, s.reason IS NULL,
               CASE WHEN s.reason IS NOT NULL THEN s.deregistered_date END,
               CASE WHEN s.reason IS NOT NULL THEN 'closed' END,
               s.industry_code, s.sector_id,
               s.digital_label, s.business_scope, s.capital, s.amount, s.currency,
               s.amount_cny, s.established_date, s.size_class, s.size_source, s.employees,
               s.digital_transformation, s.district, s.address, p_crs, s.x, s.y,
               s.geom, s.district_name, s.district_code, p_run, p_run
          FROM load_work.incoming s
         WHERE v_first OR s.line_no IN (SELECT line_no FROM load_work.new)
         -- the ids of later loads are drawn after this sort (PostgreSQL evaluates volatile
         -- output expressions above a sort); the first load's plan has no sort
         ORDER BY CASE WHEN NOT v_first THEN s.line_no END;
        -- counted, not RETURNING a million ids (1 s): every history row is new
        GET DIAGNOSTICS n_ins = ROW_COUNT;
    END IF;
    SELECT count(*) INTO n_hist FROM load_work.history;
    n_ins := n_ins - n_hist;
    -- The first load's ids run to base + its last line number (the staging table's
    -- identity: no scan); those of trailing rejected lines are skipped, not reused.
    IF v_first AND n_ins + n_hist > 0 THEN
        PERFORM setval(v_seq, v_base + pg_sequence_last_value(
            pg_get_serial_sequence('load_work.staging', 'line_no')::regclass));
    END IF;
    FOREACH v_stmt IN ARRAY v_rebuild LOOP
        EXECUTE v_stmt;
    END LOOP;

    -- Enterprises the file reports as deregistered etc. (says 'closed'): inactive,
    -- history kept, even where the file also accepts the code (first_accepted). Those it
    -- reports operating in no digital sector (says 'non_digital'): inactive too, unless
    -- the file accepts the code from another row. The enterprises concerned are the ones
    -- the file accepted and the ones the registry knows (load_work.matched, was_active
    -- as before the load): a table of the file's rows that say something of known
    -- codes, so that the updates probe the registry's index or, empty, do not read the
    -- registry at all.
    -- One row per enterprise: a closure before a departure, then the first in the file.
    CREATE UNLOGGED TABLE load_work.closing AS
    SELECT DISTINCT ON (s.credit_code)
           s.credit_code, s.says, s.status, s.deregistered_date, s.first_accepted,
           m.was_active
      FROM load_work.same_code s
      LEFT JOIN load_work.matched m  -- (its rows that say something; none on a first load)
        ON m.line_no = s.line_no AND m.reason IS NOT NULL
     WHERE s.says IS NOT NULL AND s.reason IS NOT NULL  -- (not the duplicates)
       AND (s.first_accepted IS NULL OR s.says = 'closed')
       AND (s.first_accepted IS NOT NULL OR m.enterprise_id IS NOT NULL)
     ORDER BY s.credit_code, s.says = 'closed' DESC, s.line_no;
    ANALYZE load_work.closing;
    WITH closed AS (
        UPDATE registry.enterprises e
           SET active = false, inactive_reason = s.says,
               inactive_since = CASE s.says WHEN 'closed'
                                THEN coalesce(s.deregistered_date, current_date)
                                ELSE current_date END,
               status = s.status, last_load_run_id = p_run, updated_at = now()
          FROM load_work.closing s
         WHERE s.credit_code = e.credit_code AND e.active
        RETURNING s.says)
    SELECT count(*) FILTER (WHERE says = 'closed'), count(*) FILTER (WHERE says <> 'closed')
      INTO n_closed, n_left FROM closed;
    -- Enterprises inactive before the load that the file reports anew: a missing one
    -- reported closed, a closed one reported operating outside the digital sectors, a
    -- new closed status (吊销, then 注销). The file is taken at its word for why and in
    -- what status; inactive_since stays the day it left the map. Only what changed is
    -- written: a re-load of the same file writes nothing.
    UPDATE registry.enterprises e
       SET inactive_reason = s.says, status = s.status, last_load_run_id = p_run,
           updated_at = now()
      FROM load_work.closing s
     WHERE s.credit_code = e.credit_code AND NOT e.active AND NOT s.was_active
       AND (e.inactive_reason, e.status) IS DISTINCT FROM (s.says, s.status);
    GET DIAGNOSTICS n_restated = ROW_COUNT;

    -- A full refresh: enterprises not accepted from this file are no longer active (none
    -- after a first load: every active enterprise then came from this file).
    IF p_full AND NOT v_first THEN
        -- (by id: every enterprise accepted from this file and there before it is in
        -- load_work.matched; those it added have this run as their first)
        CREATE UNLOGGED TABLE load_work.missing AS
        SELECT e.enterprise_id FROM registry.enterprises e
         WHERE e.active AND e.first_load_run_id <> p_run
           AND NOT EXISTS (SELECT FROM load_work.matched m
                           WHERE m.reason IS NULL AND m.enterprise_id = e.enterprise_id);
        ANALYZE load_work.missing;
        UPDATE registry.enterprises e
           SET active = false, inactive_since = current_date, inactive_reason = 'missing',
               last_load_run_id = p_run, updated_at = now()
          FROM load_work.missing m
         WHERE e.enterprise_id = m.enterprise_id;
        GET DIAGNOSTICS n_missing = ROW_COUNT;
        -- The enterprises active before this load, for the caller's mass-deactivation
        -- guard, without a scan of the registry: those the file accepts again, those it
        -- closes or takes out of the digital sectors without accepting them (the only
        -- other way an active one leaves), and the missing ones.
        v_active_before := n_missing
            + (SELECT count(*) FROM load_work.matched WHERE reason IS NULL AND was_active)
            + (SELECT count(*) FROM load_work.closing
                WHERE first_accepted IS NULL AND was_active);
    END IF;

    RETURN jsonb_build_object('inserted', n_ins, 'updated', n_upd,
                              'unchanged', p_accepted - n_ins - n_upd,
                              'deactivated', n_closed + n_left + n_missing,
                              'deactivated_by', jsonb_build_object('closed', n_closed,
                                  'non_digital', n_left, 'missing', n_missing),
                              'restated', n_restated, 'history', n_hist)
           || CASE WHEN v_active_before IS NOT NULL
                   THEN jsonb_build_object('active_before', v_active_before) ELSE '{}' END;
END
$$;
COMMENT ON FUNCTION registry.merge_load(bigint, text, boolean, bigint) IS
    'Inserts new and updates changed accepted rows of load_work.screened by credit code; marks inactive the enterprises the file reports closed or no longer digital, and (full refresh) those missing from it; records what the file reports of inactive ones (restated); returns counts (active_before: for the mass-deactivation guard).';

-- District boundaries cut into small parts (ST_Subdivide) with a GiST index:
-- point-in-polygon on small parts is an order of magnitude faster. p_schema 'pg_temp'
-- makes temporary tables, 'load_work' unlogged ones that parallel workers can read.
-- Returns false when no boundaries are loaded.
-- Also district_cells: every cell of a lon/lat grid (registry.district_grid() degrees)
-- paired with each part it touches, and whether the part covers it whole. A point is
-- then matched to the parts of its cell by an equality join, and tested against a part
-- only when the cell is not covered: at a million points 2.1 s against 4.4 s for one
-- index probe per point. (Cells are widened by 1e-9 degrees, so that a point on a cell
-- edge, whichever cell floor() puts it in, meets every part containing it.)
CREATE OR REPLACE FUNCTION registry.district_grid()
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 0.01::float8 $$;
COMMENT ON FUNCTION registry.district_grid() IS
    'Cell size (degrees) of registry.prepare_district_parts''s grid.';

CREATE OR REPLACE FUNCTION registry.district_cell(p geometry)
RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT floor(ST_X(p) / registry.district_grid())::bigint * 100000
           + floor(ST_Y(p) / registry.district_grid())::bigint
$$;
COMMENT ON FUNCTION registry.district_cell(geometry) IS
    'The grid cell of a lon/lat point (key of district_cells).';

-- The kind of a district lookup's scratch table in p_schema: TEMP in pg_temp, else
-- UNLOGGED (load_work: parallel workers can read it; they cannot read temporary ones).
CREATE OR REPLACE FUNCTION registry.scratch_kind(p_schema text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_schema = 'pg_temp' THEN 'TEMP' ELSE 'UNLOGGED' END
$$;
COMMENT ON FUNCTION registry.scratch_kind(text) IS
    'TEMP for pg_temp, else UNLOGGED: the kind of the district lookup''s scratch tables.';

CREATE OR REPLACE FUNCTION registry.prepare_district_parts(p_schema text DEFAULT 'pg_temp')
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP TABLE IF EXISTS %1$I.district_parts, %1$I.district_cells', p_schema);
    EXECUTE format('CREATE %s TABLE %I.district_parts AS '
                   'SELECT code, name, ST_Subdivide(geom, 64) AS geom FROM registry.districts',
                   registry.scratch_kind(p_schema), p_schema);
    EXECUTE format('CREATE INDEX ON %I.district_parts USING gist (geom)', p_schema);
    EXECUTE format('ANALYZE %I.district_parts', p_schema);
    EXECUTE format($q$CREATE %s TABLE %2$I.district_cells AS
        SELECT c.cx::bigint * 100000 + c.cy AS cell, p.code,
               ST_CoveredBy(c.box, p.geom) AS covered, p.geom
          FROM %2$I.district_parts p
         CROSS JOIN LATERAL (
               SELECT x.cx, y.cy,
                      ST_MakeEnvelope(x.cx * g - 1e-9, y.cy * g - 1e-9,
                                      (x.cx + 1) * g + 1e-9, (y.cy + 1) * g + 1e-9, 4326) AS box
                 FROM (SELECT registry.district_grid() AS g) k,
                      generate_series(floor(ST_XMin(p.geom) / k.g)::int,
                                      floor(ST_XMax(p.geom) / k.g)::int) x(cx),
                      generate_series(floor(ST_YMin(p.geom) / k.g)::int,
                                      floor(ST_YMax(p.geom) / k.g)::int) y(cy)) c
         WHERE ST_Intersects(c.box, p.geom)$q$,
        registry.scratch_kind(p_schema), p_schema);
    EXECUTE format('ANALYZE %I.district_cells', p_schema);
    RETURN EXISTS (SELECT FROM registry.districts);
END
$$;
COMMENT ON FUNCTION registry.prepare_district_parts(text) IS
    'Creates the tables district_parts (subdivided boundaries, indexed) and district_cells (grid cells and the parts they touch) in pg_temp or load_work, for district lookups.';

-- The district rule, in this one place: a point lies in the boundary containing it, the
-- lowest code when several do (overlapping or touching boundaries). Creates
-- <p_schema>.located (p_key, district_code) for the points of p_points (a table or view
-- with p_key and geom, lon/lat); an empty one when no boundaries are loaded (returns
-- false then). p_schema: 'pg_temp' (temporary) or 'load_work' (unlogged: parallel
-- workers can read it). Callers pass their own names, never user text.
-- CREATE TABLE AS, not INSERT: only the former runs its query in parallel workers.
-- A join and a GROUP BY: a lateral subquery with min() (6.5-10 s at a million points)
-- or with ORDER BY ... LIMIT 1 keeps the statement out of parallel workers. The parts
-- come from the point's grid cell (see prepare_district_parts).
CREATE OR REPLACE FUNCTION registry.locate_points(p_points regclass, p_key name, p_schema text)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    v_found boolean := registry.prepare_district_parts(p_schema);
BEGIN
    EXECUTE format('DROP TABLE IF EXISTS %I.located', p_schema);
    EXECUTE format($q$CREATE %1$s TABLE %2$I.located WITH (autovacuum_enabled = false) AS
        SELECT s.%3$I, min(c.code) AS district_code
          FROM %4$s s
          LEFT JOIN %2$I.district_cells c
                 ON c.cell = registry.district_cell(s.geom)
                AND (c.covered OR ST_Intersects(c.geom, s.geom))
         WHERE %5$s
         GROUP BY s.%3$I$q$, registry.scratch_kind(p_schema), p_schema, p_key, p_points,
        v_found::text);
    -- analyzed even when empty: unanalyzed, the planner guesses it holds rows and
    -- hashes all of the other side of a join with it (1 s at a million rows)
    EXECUTE format('ANALYZE %I.located', p_schema);
    RETURN v_found;
END
$$;
COMMENT ON FUNCTION registry.locate_points(regclass, name, text) IS
    'Creates <p_schema>.located: the district code of each point of p_points (lowest code among the boundaries containing it); false when no boundaries are loaded.';

-- District of every enterprise (after new boundaries): the boundary containing it,
-- else the registered district.
CREATE OR REPLACE FUNCTION registry.assign_districts()
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT registry.locate_points('registry.enterprises', 'enterprise_id', 'pg_temp') THEN
        UPDATE registry.enterprises e
           SET district_name = registry.district_name(NULL, e.registered_district),
               district_code = NULL
         WHERE (e.district_name, e.district_code)
               IS DISTINCT FROM (registry.district_name(NULL, e.registered_district), NULL);
        RETURN;
    END IF;
    UPDATE registry.enterprises e
       SET district_name = registry.district_name(d.name, e.registered_district),
           district_code = l.district_code
      FROM pg_temp.located l
      LEFT JOIN registry.districts d ON d.code = l.district_code
     WHERE l.enterprise_id = e.enterprise_id
       AND (e.district_name, e.district_code)
           IS DISTINCT FROM (registry.district_name(d.name, e.registered_district),
                             l.district_code);
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
        deactivated_by = p_counts -> 'deactivated_by',
        rows_history = (p_counts ->> 'history')::bigint,
        rows_restated = (p_counts ->> 'restated')::bigint,
        error = p_error
    WHERE load_run_id = p_run
$$;
COMMENT ON FUNCTION registry.finish_load(bigint, text, jsonb, text) IS
    'Records the outcome and counts of a load run.';
