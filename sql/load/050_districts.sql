-- District boundaries: staged by Python (WKB as read), converted and validated here.

INSERT INTO registry.reason_codes (reason, description) VALUES
    ('malformed_row', 'The CSV parser could not read the row (e.g. an unterminated quote).'),
    ('district_code_missing', 'A boundary feature without a district code.'),
    ('geometry_not_polygon', 'A boundary feature whose geometry is missing or not a polygon.'),
    ('duplicate_district_code', 'The district code already appeared on an earlier feature.'),
    ('geometry_invalid', 'A boundary feature whose geometry cannot be used: GDAL passed on what PostGIS cannot read as a polygon (a ring of fewer than four points, or not closed), or coordinates that are not longitude/latitude degrees.'),
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

-- A boundary feature's geometry (WKB as GDAL read it) as a valid WGS-84 MultiPolygon, or
-- why it cannot be one: problem is a reason code, detail what was wrong with it.
-- Flat: boundaries with heights or measures (Polygon Z from CAD or survey exports)
-- failed the whole load with "Geometry has Z dimension but column does not". Curves
-- (CurvePolygon, MultiSurface: ArcGIS true curves, GDAL passes them on even where it
-- names the layer Polygon) are cut into segments, 32 to a quarter circle
-- (ST_CurveToLine leaves straight geometries as they are). A GeometryCollection (the
-- output of overlay tools, ST_Intersection) keeps its polygons; its points and lines
-- have no area and are dropped, and one without polygons is not a polygon.
-- geometry_invalid: what PostGIS refuses to read (GDAL passes on a ring that is not
-- closed, with a warning, and PostGIS then refuses it: "Polygon must have at least four
-- points in each ring"), and coordinates outside longitude/latitude degrees (1e308, a
-- projected layer labelled as degrees). Both failed the whole load with a database
-- error ("transform: Invalid coordinate" for the second) where one feature was wrong.
-- p_layer_crs: the layer's projected CRS (GDAL's AUTH:CODE or its WKT, as PROJ reads
-- them), NULL for a layer in longitude/latitude. A surveying office hands district
-- boundaries out in CGCS2000 / 3-degree Gauss-Kruger (EPSG:4547 at Foshan's 114E): they
-- are unprojected to longitude/latitude (EPSG:4326; CGCS2000 and WGS-84 differ by
-- centimetres) and then read as p_crs says, as a layer in degrees is. --crs names what
-- lies under the projection: cgcs2000 there, gcj02 for an Amap layer reprojected to Web
-- Mercator (unprojecting gives its GCJ-02 degrees back). A vertex PROJ cannot unproject
-- (outside the projection's domain) rejects that feature alone.
-- p_layer_srid: the SRID of p_layer_crs in spatial_ref_sys, when it is an EPSG code
-- there: PostGIS then builds the transformation once for the load (the whole function
-- 0.55 ms a feature), not again for every feature as it does from the text (130 ms a
-- feature, measured: two minutes more for a layer of a thousand village boundaries).
DROP FUNCTION IF EXISTS registry.boundary_geometry(bytea, text);
DROP FUNCTION IF EXISTS registry.boundary_geometry(bytea, text, text);
CREATE OR REPLACE FUNCTION registry.boundary_geometry(
    p_wkb bytea, p_crs text, p_layer_crs text, p_layer_srid integer,
    OUT geom geometry, OUT problem text, OUT detail text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    g geometry;
BEGIN
    IF p_wkb IS NULL THEN
        problem := 'geometry_not_polygon';
        RETURN;
    END IF;
    g := ST_Force2D(ST_CurveToLine(ST_GeomFromWKB(p_wkb)));
    IF GeometryType(g) = 'GEOMETRYCOLLECTION' THEN
        g := ST_CollectionExtract(g, 3);
    END IF;
    IF g IS NULL OR GeometryType(g) NOT IN ('POLYGON', 'MULTIPOLYGON') OR ST_IsEmpty(g) THEN
        problem := 'geometry_not_polygon';
        RETURN;
    END IF;
    IF p_layer_crs IS NOT NULL THEN
        BEGIN
            g := CASE WHEN p_layer_srid IS NOT NULL
                      THEN ST_Transform(ST_SetSRID(g, p_layer_srid), 4326)
                      ELSE ST_Transform(g, p_layer_crs, 4326) END;
        EXCEPTION WHEN internal_error OR data_exception THEN
            problem := 'geometry_invalid';
            detail := format('PostGIS cannot unproject it from the layer''s CRS (x %s to %s, '
                             'y %s to %s): %s', ST_XMin(g), ST_XMax(g), ST_YMin(g),
                             ST_YMax(g), SQLERRM);
            RETURN;
        END;
    END IF;
    -- NaN compares above every number, so it fails these too
    IF NOT (ST_XMin(g) >= -180 AND ST_XMax(g) <= 180
            AND ST_YMin(g) >= -90 AND ST_YMax(g) <= 90) THEN
        problem := 'geometry_invalid';
        detail := format('its coordinates, x %s to %s and y %s to %s, are not longitude and '
                         'latitude in degrees', ST_XMin(g), ST_XMax(g), ST_YMin(g), ST_YMax(g));
        RETURN;
    END IF;
    geom := ST_Multi(ST_CollectionExtract(ST_MakeValid(publish.to_wgs84(g, p_crs)), 3));
    IF ST_IsEmpty(geom) THEN
        geom := NULL;
        problem := 'geometry_not_polygon';
    END IF;
EXCEPTION WHEN internal_error OR data_exception THEN  -- PostGIS's errors are XX000
    geom := NULL;
    problem := 'geometry_invalid';
    detail := 'PostGIS cannot read its geometry: ' || SQLERRM;
END
$$;
COMMENT ON FUNCTION registry.boundary_geometry(bytea, text, text, integer) IS
    'A boundary feature''s geometry (WKB; in the layer''s projected CRS p_layer_crs when that is not NULL, unprojected first, by its SRID p_layer_srid where it has one) as a valid WGS-84 MultiPolygon, or the reason code (problem) and detail of why it cannot be one.';

CREATE OR REPLACE FUNCTION registry.replace_districts(p_run bigint, p_crs text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    -- the region extent: a boundary outside it can hold no enterprise (their
    -- coordinates are refused outside it), so it is another place's, or misread
    v_region geometry;
    v_region_text text;  -- its text (registry.region), in the rejects' messages and the run
    v_layer_crs text;  -- the layer's projected CRS, unprojected (NULL: degrees)
    v_layer_srid integer;  -- its SRID, where it is an EPSG code of spatial_ref_sys
BEGIN
    SELECT ST_MakeEnvelope(west, south, east, north, 4326), description
      INTO STRICT v_region, v_region_text
      FROM registry.region;
    SELECT layer_crs INTO STRICT v_layer_crs FROM registry.load_runs WHERE load_run_id = p_run;
    SELECT srid INTO v_layer_srid FROM spatial_ref_sys
     WHERE auth_name = upper(split_part(v_layer_crs, ':', 1))
       AND auth_srid::text = split_part(v_layer_crs, ':', 2);
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
    SELECT s.*, g.geom, g.detail,
           CASE WHEN registry.field_value(s.code) IS NULL THEN 'district_code_missing'
                WHEN registry.field_value(s.name) IS NULL THEN 'name_missing'
                WHEN g.problem IS NOT NULL THEN g.problem
                WHEN NOT ST_Intersects(g.geom, v_region) THEN 'boundary_outside_region'
           END AS problem
    FROM district_staging s
    CROSS JOIN LATERAL registry.boundary_geometry(s.wkb, p_crs, v_layer_crs, v_layer_srid) g
    ) c;

    INSERT INTO registry.rejects (load_run_id, line_no, file_row, reason, message, raw)
    SELECT p_run, line_no, line_no, reason,
           format('district feature %s: %s', line_no,
                  CASE WHEN reason = 'boundary_outside_region'
                       THEN 'no point of it lies in the region ' || v_region_text
                       WHEN reason = 'geometry_invalid' AND detail IS NOT NULL THEN detail
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
    'Replaces registry.districts with the staged boundaries (unprojected from the layer''s CRS, registry.load_runs.layer_crs, where that is projected; converted to WGS-84), records rejects, reassigns enterprise districts.';
