-- District boundaries: staged by Python (WKB as read), converted and validated here.

INSERT INTO registry.reason_codes (reason, description) VALUES
    ('malformed_row', 'The CSV parser could not read the row (e.g. an unterminated quote).'),
    ('district_code_missing', 'A boundary feature without a district code.'),
    ('geometry_not_polygon', 'A boundary feature whose geometry is missing or not a polygon.'),
    ('duplicate_district_code', 'The district code already appeared on an earlier feature.'),
    ('boundary_outside_region', 'A boundary feature with no point in the region (registry.region): another place''s boundary (another city sets its own region with industry-clusters db region), or coordinates in another CRS than --crs says.')
ON CONFLICT (reason) DO UPDATE SET description = EXCLUDED.description;

CREATE OR REPLACE FUNCTION registry.begin_district_load()
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DROP TABLE IF EXISTS pg_temp.district_staging;
    CREATE TEMP TABLE district_staging (
        line_no bigint NOT NULL,
        name text,
        code text,
        wkb bytea,
        raw jsonb NOT NULL
    ) ON COMMIT DROP;
END
$$;
COMMENT ON FUNCTION registry.begin_district_load() IS 'Creates the temporary staging table of a district load.';

CREATE OR REPLACE FUNCTION registry.replace_districts(p_run bigint, p_crs text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    -- the region extent: a boundary outside it can hold no enterprise (their
    -- coordinates are refused outside it), so it is another place's, or misread
    v_region geometry;
    v_region_text text;  -- its text (registry.region), in the rejects' messages and the run
BEGIN
    SELECT ST_MakeEnvelope(west, south, east, north, 4326), description
      INTO STRICT v_region, v_region_text
      FROM registry.region;
    -- the region this load screened with: it can change later (db region)
    UPDATE registry.load_runs SET region = v_region_text WHERE load_run_id = p_run;
    DROP TABLE IF EXISTS pg_temp.district_screened;
    -- A code repeats only among the usable features: a first one rejected for another
    -- reason (outside the region, no geometry) does not make the next one a duplicate.
    CREATE TEMP TABLE district_screened ON COMMIT DROP AS
    SELECT c.*,
           coalesce(c.problem,
                    CASE WHEN row_number() OVER (
                                  PARTITION BY registry.field_value(c.code), c.problem IS NULL
                                  ORDER BY c.line_no) > 1
                         THEN 'duplicate_district_code' END) AS reason
    FROM (
    SELECT s.*, g.geom,
           CASE WHEN registry.field_value(s.code) IS NULL THEN 'district_code_missing'
                WHEN registry.field_value(s.name) IS NULL THEN 'name_missing'
                WHEN g.geom IS NULL OR ST_IsEmpty(g.geom) THEN 'geometry_not_polygon'
                WHEN NOT ST_Intersects(g.geom, v_region) THEN 'boundary_outside_region'
           END AS problem
    FROM district_staging s
    -- flat: boundaries with heights or measures (Polygon Z from CAD or survey exports)
    -- failed the whole load with "Geometry has Z dimension but column does not".
    -- Curves (CurvePolygon, MultiSurface: ArcGIS true curves, GDAL passes them on even
    -- where it names the layer Polygon) failed it with "ST_MakeValid: unsupported
    -- geometry type CurvePolygon"; they are cut into segments, 32 to a quarter circle
    -- (ST_CurveToLine leaves straight geometries as they are).
    -- A GeometryCollection (the output of overlay tools, ST_Intersection) keeps its
    -- polygons; its points and lines have no area and are dropped. One without polygons
    -- is empty then, and rejected as not a polygon.
    LEFT JOIN LATERAL (SELECT CASE WHEN GeometryType(c.g) = 'GEOMETRYCOLLECTION'
                                   THEN ST_CollectionExtract(c.g, 3) ELSE c.g END AS flat
                         FROM (SELECT ST_Force2D(ST_CurveToLine(ST_GeomFromWKB(s.wkb))) AS g) c
                        WHERE s.wkb IS NOT NULL) w ON true
    LEFT JOIN LATERAL (
        SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(
                   publish.to_wgs84(w.flat, p_crs)), 3)) AS geom
        WHERE GeometryType(w.flat) IN ('POLYGON', 'MULTIPOLYGON')) g ON true
    ) c;

    INSERT INTO registry.rejects (load_run_id, line_no, reason, message, raw)
    SELECT p_run, line_no, reason,
           format('district feature %s: %s', line_no,
                  CASE WHEN reason = 'boundary_outside_region'
                       THEN 'no point of it lies in the region ' || v_region_text
                       ELSE (SELECT description FROM registry.reason_codes c
                              WHERE c.reason = d.reason) END),
           raw
      FROM district_screened d WHERE reason IS NOT NULL;

    DELETE FROM registry.districts;
    INSERT INTO registry.districts (code, name, geom, source_crs, load_run_id)
    SELECT registry.field_value(code), registry.field_value(name), geom, p_crs, p_run
      FROM district_screened WHERE reason IS NULL ORDER BY line_no;

    PERFORM registry.assign_districts();

    RETURN registry.outcome_counts(
        p_run, (SELECT count(*) FROM district_screened WHERE reason IS NULL));
END
$$;
COMMENT ON FUNCTION registry.replace_districts(bigint, text) IS
    'Replaces registry.districts with the staged boundaries (converted to WGS-84), records rejects, reassigns enterprise districts.';
