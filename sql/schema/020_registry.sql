-- Registry tables: what the loader writes. Template: {srid} is the projected SRID.
-- Re-runnable: CREATE ... IF NOT EXISTS; comments are re-applied.

-- Keys checked per statement, for the table a load writes in bulk (registry.rejects;
-- clustering.members until revision 0033, whose partitions are checked when attached).
-- A foreign key runs its check query for each new row, 10-13 us a row: 1.3 s for the
-- 67,000 rejects of a million-row load. These statement triggers check the same rule once
-- per statement, with one anti-join over the statement's rows (transition tables).
-- Arguments of each: triples of (columns of this table, referenced table, its columns),
-- comma-separated column lists in the same order; the columns are NOT NULL.
-- The referenced rows are locked FOR KEY SHARE, once per statement, as a foreign key
-- locks them row by row: a concurrent delete of a load run or a reason code waits for
-- the writing transaction, and its own statement trigger then sees the new rows.

-- AFTER INSERT / UPDATE ... REFERENCING NEW TABLE AS new_rows: every new row's key is in
-- the referenced table.
CREATE OR REPLACE FUNCTION registry.check_references()
RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_cols text;    -- this table's columns of the key, as n.a, n.b
    v_table regclass;
    v_keys text;    -- the referenced columns, as p.a, p.b
    v_bad text;
BEGIN
    FOR i IN 0 .. TG_NARGS / 3 - 1 LOOP
        v_cols := registry.column_list('n', TG_ARGV[3 * i]);
        v_table := TG_ARGV[3 * i + 1]::regclass;
        v_keys := registry.column_list('p', TG_ARGV[3 * i + 2]);
        EXECUTE format('SELECT FROM %s p WHERE (%s) IN (SELECT %s FROM new_rows n) '
                       'FOR KEY SHARE OF p', v_table, v_keys, v_cols);
        EXECUTE format('SELECT row(%s)::text FROM new_rows n WHERE NOT EXISTS '
                       '(SELECT FROM %s p WHERE (%s) = (%s)) LIMIT 1',
                       v_cols, v_table, v_keys, v_cols)
           INTO v_bad;
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION '%.%: (%) = % is not a key of %', TG_TABLE_SCHEMA, TG_TABLE_NAME,
                TG_ARGV[3 * i], v_bad, TG_ARGV[3 * i + 1]
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION registry.check_references() IS
    'Statement trigger: every new row references an existing row (arguments: columns, table, columns).';

-- AFTER DELETE ... REFERENCING OLD TABLE AS old_rows on the referenced table: rows that
-- reference the deleted ones are deleted too (ON DELETE CASCADE). Arguments: the
-- referencing table, its columns, the referenced columns.
CREATE OR REPLACE FUNCTION registry.delete_references()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DELETE FROM %s r USING old_rows o WHERE (%s) = (%s)',
                   TG_ARGV[0]::regclass, registry.column_list('r', TG_ARGV[1]),
                   registry.column_list('o', TG_ARGV[2]));
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION registry.delete_references() IS
    'Statement trigger: deleting rows deletes the rows referencing them (arguments: table, columns, columns).';

-- AFTER DELETE / UPDATE ... REFERENCING OLD TABLE AS old_rows on the referenced table:
-- a row still referenced may not go or change its key (ON DELETE / UPDATE NO ACTION).
CREATE OR REPLACE FUNCTION registry.refuse_referenced()
RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_bad text;
BEGIN
    EXECUTE format('SELECT row(%s)::text FROM old_rows o WHERE EXISTS (SELECT FROM %s r '
                   'WHERE (%s) = (%s)) AND NOT EXISTS (SELECT FROM %s k WHERE (%s) = (%s)) '
                   'LIMIT 1',
                   registry.column_list('o', TG_ARGV[2]), TG_ARGV[0]::regclass,
                   registry.column_list('r', TG_ARGV[1]), registry.column_list('o', TG_ARGV[2]),
                   format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME),
                   registry.column_list('k', TG_ARGV[2]), registry.column_list('o', TG_ARGV[2]))
       INTO v_bad;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION '%.%: (%) = % is still referenced from %', TG_TABLE_SCHEMA,
            TG_TABLE_NAME, TG_ARGV[2], v_bad, TG_ARGV[0]
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION registry.refuse_referenced() IS
    'Statement trigger: a row still referenced may not be deleted or change its key (arguments: table, columns, columns).';

-- 'a, b' -> 'x.a, x.b' (quoted identifiers), for the statements above.
CREATE OR REPLACE FUNCTION registry.column_list(p_alias text, p_columns text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg(format('%I.%I', p_alias, btrim(c)), ', ' ORDER BY o)
      FROM unnest(string_to_array(p_columns, ',')) WITH ORDINALITY AS u(c, o)
$$;
COMMENT ON FUNCTION registry.column_list(text, text) IS
    'Comma-separated column names -> alias-qualified, quoted list (statement triggers).';

CREATE TABLE IF NOT EXISTS registry.settings (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    projected_srid integer NOT NULL,
    region_name text NOT NULL,
    region_xmin double precision NOT NULL,
    region_ymin double precision NOT NULL,
    region_xmax double precision NOT NULL,
    region_ymax double precision NOT NULL,
    CHECK (region_xmin < region_xmax AND region_ymin < region_ymax)
);
COMMENT ON TABLE registry.settings IS 'One row: the projected SRID fixed at db init, and the region extent (WGS-84 lon/lat) outside which coordinates are rejected.';
COMMENT ON COLUMN registry.settings.id IS 'Always true: the table has one row.';
COMMENT ON COLUMN registry.settings.projected_srid IS 'SRID of the projected geometries (metres); eps is measured in it. Fixed at db init.';
COMMENT ON COLUMN registry.settings.region_name IS 'Name of the study region (default Foshan).';
COMMENT ON COLUMN registry.settings.region_xmin IS 'Region extent, west longitude (WGS-84).';
COMMENT ON COLUMN registry.settings.region_ymin IS 'Region extent, south latitude (WGS-84).';
COMMENT ON COLUMN registry.settings.region_xmax IS 'Region extent, east longitude (WGS-84).';
COMMENT ON COLUMN registry.settings.region_ymax IS 'Region extent, north latitude (WGS-84).';
-- Default region: Foshan with a ~5 km margin (district boundaries span lon 112.39-113.39,
-- lat 22.64-23.57). Another city sets its own with registry.set_region (db region).
INSERT INTO registry.settings (projected_srid, region_name, region_xmin, region_ymin, region_xmax, region_ymax)
VALUES ({srid}, 'Foshan', 112.33, 22.58, 113.45, 23.63)
ON CONFLICT (id) DO NOTHING;

CREATE TABLE IF NOT EXISTS registry.sectors (
    sector_id smallint PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name_en text NOT NULL,
    name_zh text NOT NULL,
    gbt4754 text NOT NULL
);
COMMENT ON TABLE registry.sectors IS 'Industry sector groups clustered separately, as in the reference study.';
COMMENT ON COLUMN registry.sectors.sector_id IS 'Integer key.';
COMMENT ON COLUMN registry.sectors.code IS 'Short code used on the command line (--sectors).';
COMMENT ON COLUMN registry.sectors.name_en IS 'English name.';
COMMENT ON COLUMN registry.sectors.name_zh IS 'Chinese name.';
COMMENT ON COLUMN registry.sectors.gbt4754 IS 'GB/T 4754 divisions the group covers.';
INSERT INTO registry.sectors VALUES
    (1, 'comms', 'Communications, electronics and digital', '通信电子与数字', 'division 39, plus firms labelled digital'),
    (2, 'software', 'Information transmission, software and IT services', '信息传输、软件和信息技术服务', 'section I, divisions 63-65')
ON CONFLICT (sector_id) DO NOTHING;

CREATE TABLE IF NOT EXISTS registry.load_runs (
    load_run_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('enterprises', 'districts')),
    status text NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned', 'skipped')),
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    file_name text NOT NULL,
    file_sha256 text NOT NULL,
    file_bytes bigint NOT NULL,
    format text NOT NULL,
    crs text NOT NULL,
    encoding text,
    mapping jsonb NOT NULL DEFAULT '{{}}',
    full_refresh boolean NOT NULL DEFAULT true,
    rows_read bigint,
    rows_accepted bigint,
    rows_rejected bigint,
    rejected_by_reason jsonb,
    rows_inserted bigint,
    rows_updated bigint,
    rows_unchanged bigint,
    rows_deactivated bigint,
    rows_history bigint,
    duration_s numeric(12, 3),
    error text,
    backend_pid integer NOT NULL DEFAULT pg_backend_pid(),
    db_user text NOT NULL DEFAULT current_user,
    CHECK (status <> 'succeeded' OR rows_read = rows_accepted + rows_rejected)
);
COMMENT ON TABLE registry.load_runs IS 'One row per load: file, hash, counts by outcome and reason, timing, status (running -> succeeded | failed | abandoned; skipped when the file was already loaded).';
COMMENT ON COLUMN registry.load_runs.load_run_id IS 'Integer key.';
COMMENT ON COLUMN registry.load_runs.kind IS 'enterprises (load) or districts (load-districts).';
COMMENT ON COLUMN registry.load_runs.status IS 'running, succeeded, failed, abandoned (process died; marked at the next start) or skipped (same content already loaded).';
COMMENT ON COLUMN registry.load_runs.started_at IS 'When the load started.';
COMMENT ON COLUMN registry.load_runs.finished_at IS 'When the load ended (any outcome).';
COMMENT ON COLUMN registry.load_runs.file_name IS 'Input file name as given.';
COMMENT ON COLUMN registry.load_runs.file_sha256 IS 'SHA-256 of the file content. A load is skipped (unless --force) when the last successful load of enterprises (for a full refresh, the last full refresh) read the same content the same way (crs, encoding, mapping, full refresh or not, layers) and screened it with the same rules (screening).';
COMMENT ON COLUMN registry.load_runs.file_bytes IS 'File size in bytes.';
COMMENT ON COLUMN registry.load_runs.format IS 'csv, xlsx, xls, geojson or gpkg.';
COMMENT ON COLUMN registry.load_runs.crs IS 'Coordinate system of the input: wgs84, gcj02, bd09 or cgcs2000.';
COMMENT ON COLUMN registry.load_runs.encoding IS 'Text encoding used for CSV input.';
COMMENT ON COLUMN registry.load_runs.mapping IS 'Field -> input column mapping used.';
COMMENT ON COLUMN registry.load_runs.full_refresh IS 'True when enterprises missing from the file were marked inactive.';
COMMENT ON COLUMN registry.load_runs.rows_read IS 'Data rows read from the file; always rows_accepted + rows_rejected.';
COMMENT ON COLUMN registry.load_runs.rows_accepted IS 'Rows that passed screening.';
COMMENT ON COLUMN registry.load_runs.rows_rejected IS 'Rows excluded or invalid; each is in registry.rejects.';
COMMENT ON COLUMN registry.load_runs.rejected_by_reason IS 'Rejected row counts by reason code.';
COMMENT ON COLUMN registry.load_runs.rows_inserted IS 'Accepted rows that created a new enterprise.';
COMMENT ON COLUMN registry.load_runs.rows_updated IS 'Accepted rows that changed an existing enterprise.';
COMMENT ON COLUMN registry.load_runs.rows_unchanged IS 'Accepted rows identical to the stored enterprise.';
-- added by revision 0009 (this file is re-run by it)
ALTER TABLE registry.load_runs ADD COLUMN IF NOT EXISTS rows_history bigint;
-- added by revision 0010: who parsed the file, 'server' (COPY ... FORMAT csv, for a
-- clean UTF-8 CSV) or 'python' (every other file, and any CSV the server would not take)
ALTER TABLE registry.load_runs ADD COLUMN IF NOT EXISTS parser text
    CHECK (parser IN ('server', 'python'));
COMMENT ON COLUMN registry.load_runs.rows_history IS 'Enterprises stored as inactive history: they first appeared already deregistered (rejected as status_inactive, kept for as-of snapshots).';
COMMENT ON COLUMN registry.load_runs.parser IS 'Who parsed the file: server (COPY ... FORMAT csv, a clean UTF-8 CSV) or python (every other file, and any CSV the server refused or might read differently).';
-- added by revision 0109: the enterprises deactivated, by why
ALTER TABLE registry.load_runs ADD COLUMN IF NOT EXISTS deactivated_by jsonb;
COMMENT ON COLUMN registry.load_runs.deactivated_by IS 'rows_deactivated by why (registry.enterprises.inactive_reason): {{closed, non_digital, missing}}. NULL for a failed load, a load of district boundaries and loads before revision 0109.';
-- added by revision 0110: the inactive enterprises a load reported anew
ALTER TABLE registry.load_runs ADD COLUMN IF NOT EXISTS rows_restated bigint;
COMMENT ON COLUMN registry.load_runs.rows_restated IS 'Enterprises inactive before the load whose inactive_reason or status it changed, as the file reported them: a missing one reported closed, a closed one reported operating outside the digital sectors, a new closed status. NULL for a failed load, a load of district boundaries and loads before revision 0110.';
-- added by revision 0053: the lines above the header (a title, a note), skipped
ALTER TABLE registry.load_runs ADD COLUMN IF NOT EXISTS preamble jsonb;
COMMENT ON COLUMN registry.load_runs.preamble IS 'The lines above the header that the load skipped (a title or a note; the header is looked for in the first 10 lines of a CSV or sheet: the first that names two known fields), each {{part, line, text}}; part is NULL for a load of one file. NULL when the header was the first line.';

-- added by revision 0049: a load of several files, the parts of one export (nightly)
ALTER TABLE registry.load_runs ADD COLUMN IF NOT EXISTS parts jsonb;
COMMENT ON COLUMN registry.load_runs.parts IS 'A load of several parts (the files of one export, or the sheets of a workbook, loaded as one): each part in order, {{part, file, layer, header_from, sha256, bytes, first_line, records}}, layer being the sheet or layer read from the file (absent for a CSV; since revision 0077), header_from the number of the part whose header a part without a header row (a sheet, a CSV file) was read with (since revision 0079) and first_line its first record''s number in the load; layer_crs, where the part is a point layer in a projected CRS whose points are the location, the CRS they were unprojected from (since revision 0108). NULL for a load of one part. file_name then lists the files, file_sha256 is the hash of their hashes, file_bytes their total.';
-- added by revision 0076: what was read of each file (a load is skipped only when the
-- last load read the same content the same way)
ALTER TABLE registry.load_runs ADD COLUMN IF NOT EXISTS layers text[];
COMMENT ON COLUMN registry.load_runs.layers IS 'The layer (GeoPackage, GeoJSON) or sheet (workbook) read, one per part in the order read; NULL for a CSV, and for the loads before revision 0076.';
-- added by revision 0078: the sheets of a workbook with values that a load did not read
ALTER TABLE registry.load_runs ADD COLUMN IF NOT EXISTS not_read jsonb;
COMMENT ON COLUMN registry.load_runs.not_read IS 'The sheets of a workbook that have values but were not read (a notes sheet, a sheet of another header), each {{file, sheet, why, hint}} (hint: how to have it read; since revision 0079): its rows are neither accepted nor rejected, so the load names them. NULL when every sheet with values was read.';
-- added by revision 0085: the region the load screened with (it can change later)
ALTER TABLE registry.load_runs ADD COLUMN IF NOT EXISTS region text;
COMMENT ON COLUMN registry.load_runs.region IS 'The region the load screened the locations or boundaries with, as registry.region.description names it: Foshan (longitude 112.33 to 113.45, latitude 22.58 to 23.63), say. The region can change later (db region); NULL for a load that failed before screening, or ran before revision 0085.';
-- added by revision 0090: what else the screening read, so that a change of it loads a file again
ALTER TABLE registry.load_runs ADD COLUMN IF NOT EXISTS screening text;
COMMENT ON COLUMN registry.load_runs.screening IS 'registry.screening_signature() when the load screened: an MD5 of what the screening reads besides the file (the rule tables, the region and SRID, the loader''s functions). The content of the last load is not loaded again while this is unchanged; after an edit of a rule, a new region or an upgrade that changes the parsers it is. NULL for a load that failed before screening, or ran before revision 0090.';
-- added by revision 0100: the header, so that the rejects can be written out as the file had them
ALTER TABLE registry.load_runs ADD COLUMN IF NOT EXISTS headers text[];
COMMENT ON COLUMN registry.load_runs.headers IS 'The header of the file (of its first part) in its order, a repeated name numbered (名称#2): the keys of registry.rejects.raw, in the order registry.reject_records gives the values. NULL for a load of district boundaries, or before revision 0100.';
-- added by revision 0105: what turns a record's number into its row in the file
ALTER TABLE registry.load_runs ADD COLUMN IF NOT EXISTS rows_above integer[];
COMMENT ON COLUMN registry.load_runs.rows_above IS 'The rows above the first record in each part''s file, in the order of the parts: title lines and the header row (0 for a part without a header row, and for a layer). NULL for a load of district boundaries, or before revision 0105.';
-- added by revision 0106: a district layer in a projected CRS is unprojected, not refused
ALTER TABLE registry.load_runs ADD COLUMN IF NOT EXISTS layer_crs text;
COMMENT ON COLUMN registry.load_runs.layer_crs IS 'The projected CRS a layer was in (GDAL''s AUTH:CODE, EPSG:4547 say, or its WKT), unprojected to longitude/latitude (EPSG:4326), which --crs (crs) then read: a layer of district boundaries (by PostGIS, since revision 0106), or a point layer of enterprises whose points are the location (by PROJ through pyproj, since revision 0108; parts in different CRSs: NULL here, each part''s in parts). NULL for a layer in longitude/latitude, for a file of columns, and before those revisions.';
COMMENT ON COLUMN registry.load_runs.rows_deactivated IS 'Enterprises the load marked inactive: reported closed, reported no longer digital, or (a full refresh) missing from it (deactivated_by).';
COMMENT ON COLUMN registry.load_runs.duration_s IS 'Wall-clock duration in seconds.';
COMMENT ON COLUMN registry.load_runs.error IS 'Error message of a failed load.';
COMMENT ON COLUMN registry.load_runs.backend_pid IS 'Server process of the loading session (to detect abandoned runs).';
COMMENT ON COLUMN registry.load_runs.db_user IS 'Database role that ran the load.';

CREATE TABLE IF NOT EXISTS registry.reason_codes (
    reason text PRIMARY KEY,
    description text NOT NULL
);
COMMENT ON TABLE registry.reason_codes IS 'Why a row was rejected: every code used in registry.rejects.';
COMMENT ON COLUMN registry.reason_codes.reason IS 'Reason code.';
COMMENT ON COLUMN registry.reason_codes.description IS 'What it means.';

CREATE TABLE IF NOT EXISTS registry.rejects (
    reject_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    load_run_id bigint NOT NULL,  -- registry.load_runs (rejects_inserted, below)
    line_no bigint NOT NULL,
    reason text NOT NULL,  -- registry.reason_codes (rejects_inserted, below)
    message text NOT NULL,
    credit_code text,
    raw jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS rejects_load_run_idx ON registry.rejects (load_run_id, reason);
-- The rejects' keys, checked per statement (registry.check_references, above): a load
-- writes tens of thousands of rejects in one statement.
ALTER TABLE registry.rejects DROP CONSTRAINT IF EXISTS rejects_load_run_id_fkey,
    DROP CONSTRAINT IF EXISTS rejects_reason_fkey;
DROP TRIGGER IF EXISTS rejects_inserted ON registry.rejects;
CREATE TRIGGER rejects_inserted AFTER INSERT ON registry.rejects
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION registry.check_references('load_run_id', 'registry.load_runs', 'load_run_id',
                                               'reason', 'registry.reason_codes', 'reason');
DROP TRIGGER IF EXISTS rejects_updated ON registry.rejects;
CREATE TRIGGER rejects_updated AFTER UPDATE ON registry.rejects
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION registry.check_references('load_run_id', 'registry.load_runs', 'load_run_id',
                                               'reason', 'registry.reason_codes', 'reason');
DROP TRIGGER IF EXISTS load_runs_deleted ON registry.load_runs;
CREATE TRIGGER load_runs_deleted AFTER DELETE ON registry.load_runs
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION registry.delete_references('registry.rejects', 'load_run_id', 'load_run_id');
DROP TRIGGER IF EXISTS reason_codes_deleted ON registry.reason_codes;
CREATE TRIGGER reason_codes_deleted AFTER DELETE ON registry.reason_codes
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION registry.refuse_referenced('registry.rejects', 'reason', 'reason');
DROP TRIGGER IF EXISTS reason_codes_updated ON registry.reason_codes;
CREATE TRIGGER reason_codes_updated AFTER UPDATE ON registry.reason_codes
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION registry.refuse_referenced('registry.rejects', 'reason', 'reason');
COMMENT ON TABLE registry.rejects IS 'Every row a load did not accept, with why and the raw row as read.';
COMMENT ON COLUMN registry.rejects.reject_id IS 'Integer key.';
COMMENT ON COLUMN registry.rejects.load_run_id IS 'The load that read the row.';
-- added by revision 0049
ALTER TABLE registry.rejects ADD COLUMN IF NOT EXISTS part smallint;
COMMENT ON COLUMN registry.rejects.line_no IS 'Record number in the file (1 = first data row); in a load of several files, in the file of its part.';
COMMENT ON COLUMN registry.rejects.part IS 'In a load of several parts (files, or sheets of a workbook): which part (1 = the first; registry.load_runs.parts names them). NULL for a load of one part.';
-- added by revision 0105
ALTER TABLE registry.rejects ADD COLUMN IF NOT EXISTS file_row bigint;
COMMENT ON COLUMN registry.rejects.file_row IS 'Where the row is in its file, as Excel or WPS numbers the rows: a sheet''s row; a CSV''s, counting title lines, the header and blank lines, a value over several lines being one row; a layer''s feature number (its record number). NULL before revision 0105.';
COMMENT ON COLUMN registry.rejects.reason IS 'Reason code (registry.reason_codes).';
COMMENT ON COLUMN registry.rejects.message IS 'Human-readable explanation.';
COMMENT ON COLUMN registry.rejects.credit_code IS 'Unified social credit code as read, if any.';
COMMENT ON COLUMN registry.rejects.raw IS 'The row as read: input column -> value.';

CREATE TABLE IF NOT EXISTS registry.enterprises (
    enterprise_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    credit_code text NOT NULL UNIQUE,
    name text NOT NULL,
    status text NOT NULL,
    active boolean NOT NULL DEFAULT true,
    inactive_since date,
    industry_code text,
    sector_id smallint NOT NULL,
    digital_label boolean NOT NULL DEFAULT false,
    business_scope text,
    capital_raw text,
    capital_amount numeric,
    capital_currency text,
    capital_cny numeric,
    established date,
    size_class text CHECK (size_class IN ('micro', 'small', 'medium', 'large')),
    size_class_source text CHECK (size_class_source IN ('file', 'employees', 'derived')),
    digital_transformation boolean,
    registered_district text,
    address text,
    source_crs text NOT NULL,
    source_x double precision NOT NULL,
    source_y double precision NOT NULL,
    geom geometry(Point, 4326) NOT NULL,
    geom_proj geometry(Point, {srid}) GENERATED ALWAYS AS (ST_Transform(geom, {srid})) STORED,
    district_code text,
    district_name text,
    -- No foreign keys on the columns above: per-row FK triggers would double the cost of
    -- a bulk load; the loader only writes ids it has just checked (sectors via rules).
    first_load_run_id bigint NOT NULL,
    last_load_run_id bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- the table of revision 0001 had no district_name
ALTER TABLE registry.enterprises ADD COLUMN IF NOT EXISTS district_name text;
-- insured employees (参保人数), revision 0088: last, in databases made before and after
ALTER TABLE registry.enterprises ADD COLUMN IF NOT EXISTS employees integer;
-- why an inactive enterprise is (revision 0109; filled for the enterprises inactive
-- before it, and checked, by load/090_inactive_reason.sql)
ALTER TABLE registry.enterprises ADD COLUMN IF NOT EXISTS inactive_reason text;
-- the size class from employees (revision 0088) is a third source
DO $$
BEGIN
    IF (SELECT pg_get_constraintdef(oid) NOT LIKE '%employees%' FROM pg_constraint
         WHERE conname = 'enterprises_size_class_source_check'
           AND conrelid = 'registry.enterprises'::regclass) THEN
        ALTER TABLE registry.enterprises DROP CONSTRAINT enterprises_size_class_source_check,
            ADD CONSTRAINT enterprises_size_class_source_check
                CHECK (size_class_source IN ('file', 'employees', 'derived'));
    END IF;
END
$$;
-- No spatial index on the registry: nothing here queries it spatially (clustering reads
-- every point of a sector; districts are found by a grid join), and readers query the
-- published layer, publish.enterprises, which has its own. A GiST index on geom_proj
-- cost 3.9 s of a first load at a million rows and its upkeep on every changed row.
-- (Revision 0025 drops the one earlier revisions made.)
DROP INDEX IF EXISTS registry.enterprises_geom_proj_idx;
COMMENT ON TABLE registry.enterprises IS 'Accepted enterprises, upserted by credit code. Enterprises missing from a full refresh are kept, marked inactive with the date.';
COMMENT ON COLUMN registry.enterprises.enterprise_id IS 'Integer key, stable across loads.';
COMMENT ON COLUMN registry.enterprises.credit_code IS 'Unified social credit code (GB 32100, 18 characters, check digit verified).';
COMMENT ON COLUMN registry.enterprises.name IS 'Enterprise name.';
COMMENT ON COLUMN registry.enterprises.status IS 'Operating status as registered (e.g. 存续, 在业).';
COMMENT ON COLUMN registry.enterprises.active IS 'False when deregistered, no longer in a digital sector, or missing from the latest full refresh (inactive_reason).';
COMMENT ON COLUMN registry.enterprises.inactive_reason IS 'Why an inactive enterprise is: closed (a file reported an excluded status, registry.status_rules), non_digital (a file reported it operating in no digital sector, registry.sector_rules) or missing (a full refresh accepted no row of it); NULL while active.';
COMMENT ON COLUMN registry.enterprises.inactive_since IS 'Date the enterprise became inactive: the deregistration date from the file (注销日期) when given, else the date the load marked it; NULL for history rows without a date.';
COMMENT ON COLUMN registry.enterprises.industry_code IS 'GB/T 4754 industry code as given.';
COMMENT ON COLUMN registry.enterprises.sector_id IS 'Sector group (registry.sectors) from the industry code or business-scope keywords.';
COMMENT ON COLUMN registry.enterprises.digital_label IS 'True when labelled digital (joins the comms group, as in the study).';
COMMENT ON COLUMN registry.enterprises.business_scope IS 'Business scope text.';
COMMENT ON COLUMN registry.enterprises.capital_raw IS 'Registered capital as given (e.g. 1000万人民币).';
COMMENT ON COLUMN registry.enterprises.capital_amount IS 'Registered capital in its own currency, units (not 万).';
COMMENT ON COLUMN registry.enterprises.capital_currency IS 'ISO 4217 currency of capital_amount.';
COMMENT ON COLUMN registry.enterprises.capital_cny IS 'Registered capital in CNY (registry.currency_rates).';
COMMENT ON COLUMN registry.enterprises.established IS 'Establishment date.';
COMMENT ON COLUMN registry.enterprises.size_class IS 'micro, small, medium or large.';
COMMENT ON COLUMN registry.enterprises.size_class_source IS 'file (given), employees (from the insured employees, registry.size_employee_thresholds) or derived (from registered capital, registry.size_thresholds).';
COMMENT ON COLUMN registry.enterprises.employees IS 'Insured employees (参保人数) as given, when the file has them as a count: the size class follows them when the file gives no class. NULL for a band (人员规模 50-99人), which decides the class only when it lies in one (registry.size_class_by_band).';
COMMENT ON COLUMN registry.enterprises.digital_transformation IS 'Digital-transformation flag from the file, when given.';
COMMENT ON COLUMN registry.enterprises.registered_district IS 'District as registered (所属区县).';
COMMENT ON COLUMN registry.enterprises.address IS 'Registered address.';
COMMENT ON COLUMN registry.enterprises.source_crs IS 'Coordinate system of the input coordinates.';
COMMENT ON COLUMN registry.enterprises.source_x IS 'Longitude as given, in source_crs; from a point layer in a projected CRS, its point unprojected (registry.load_runs.layer_crs; since revision 0108).';
COMMENT ON COLUMN registry.enterprises.source_y IS 'Latitude as given, in source_crs; from a point layer in a projected CRS, its point unprojected (registry.load_runs.layer_crs; since revision 0108).';
COMMENT ON COLUMN registry.enterprises.geom IS 'Location, WGS-84 (converted in the database from the input CRS).';
COMMENT ON COLUMN registry.enterprises.geom_proj IS 'Location in the projected SRID (metres), generated from geom; clustered on.';
COMMENT ON COLUMN registry.enterprises.district_code IS 'Code of the district boundary containing the enterprise (NULL without boundaries).';
COMMENT ON COLUMN registry.enterprises.district_name IS 'District: the boundary containing the enterprise when boundaries are loaded, else the registered district.';
COMMENT ON COLUMN registry.enterprises.first_load_run_id IS 'Load that first accepted the enterprise.';
COMMENT ON COLUMN registry.enterprises.last_load_run_id IS 'Latest load that inserted or changed the enterprise.';
COMMENT ON COLUMN registry.enterprises.updated_at IS 'Last change.';

-- Loads and clustering runs exclude each other on registry.enterprises, by table locks:
-- a clustering run holds SHARE to its end, so that all its statements (and its helper
-- connections) read one committed state of the registry; a load writes under ROW
-- EXCLUSIVE, which SHARE excludes. So a run waits for a load that is writing to commit,
-- and a load about to write waits for a running run; a load's screening, which only
-- reads, goes on meanwhile. p_job: 'cluster' or 'load'. p_wait false: false at once
-- when another transaction holds a conflicting lock (the CLI then says what it waits
-- for, and waits). Held to the end of the caller's transaction.
CREATE OR REPLACE FUNCTION registry.hold_enterprises(p_job text, p_wait boolean DEFAULT true)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF p_job IS DISTINCT FROM 'cluster' AND p_job IS DISTINCT FROM 'load' THEN
        RAISE EXCEPTION 'registry.hold_enterprises: job % is neither cluster nor load', p_job;
    END IF;
    EXECUTE format('LOCK TABLE registry.enterprises IN %s MODE%s',
                   CASE p_job WHEN 'cluster' THEN 'SHARE' WHEN 'load' THEN 'ROW EXCLUSIVE' END,
                   CASE WHEN p_wait THEN '' ELSE ' NOWAIT' END);
    RETURN true;
EXCEPTION WHEN lock_not_available THEN
    RETURN false;
END
$$;
COMMENT ON FUNCTION registry.hold_enterprises(text, boolean) IS
    'Locks registry.enterprises for a clustering run (SHARE) or a load''s writes (ROW EXCLUSIVE) to the end of the transaction; p_wait false: false instead of waiting.';

CREATE TABLE IF NOT EXISTS registry.districts (
    district_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name text NOT NULL,
    geom geometry(MultiPolygon, 4326) NOT NULL,
    geom_proj geometry(MultiPolygon, {srid}) GENERATED ALWAYS AS (ST_Multi(ST_Transform(geom, {srid}))) STORED,
    source_crs text NOT NULL,
    load_run_id bigint NOT NULL REFERENCES registry.load_runs
);
CREATE INDEX IF NOT EXISTS districts_geom_idx ON registry.districts USING gist (geom);
CREATE INDEX IF NOT EXISTS districts_geom_proj_idx ON registry.districts USING gist (geom_proj);
COMMENT ON TABLE registry.districts IS 'District boundaries (load-districts), converted to WGS-84.';
COMMENT ON COLUMN registry.districts.district_id IS 'Integer key.';
COMMENT ON COLUMN registry.districts.code IS 'District code (GB/T 2260, e.g. 440604).';
COMMENT ON COLUMN registry.districts.name IS 'District name.';
COMMENT ON COLUMN registry.districts.geom IS 'Boundary, WGS-84.';
COMMENT ON COLUMN registry.districts.geom_proj IS 'Boundary in the projected SRID.';
COMMENT ON COLUMN registry.districts.source_crs IS 'Coordinate system of the input boundaries.';
COMMENT ON COLUMN registry.districts.load_run_id IS 'Load that wrote the boundary.';
