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

-- A boundary feature's shape (WKB as GDAL read it) as a flat polygonal geometry in the
-- layer's coordinates, or why it cannot be one: problem is a reason code, detail what
-- was wrong with it.
-- Flat: boundaries with heights or measures (Polygon Z from CAD or survey exports)
-- failed the whole load with "Geometry has Z dimension but column does not". Curves
-- (CurvePolygon, MultiSurface: ArcGIS true curves, GDAL passes them on even where it
-- names the layer Polygon) are cut into segments, 32 to a quarter circle
-- (ST_CurveToLine leaves straight geometries as they are). A GeometryCollection (the
-- output of overlay tools, ST_Intersection) keeps its polygons; its points and lines
-- have no area and are dropped, and one without polygons is not a polygon.
-- geometry_invalid: what PostGIS refuses to read (GDAL passes on a ring that is not
-- closed, with a warning, and PostGIS then refuses it: "Polygon must have at least four
-- points in each ring"). It failed the whole load with a database error where one
-- feature was wrong.
DROP FUNCTION IF EXISTS registry.boundary_geometry(bytea, text);
DROP FUNCTION IF EXISTS registry.boundary_geometry(bytea, text, text);
DROP FUNCTION IF EXISTS registry.boundary_geometry(bytea, text, text, integer);
CREATE OR REPLACE FUNCTION registry.boundary_shape(
    p_wkb bytea, OUT shape geometry, OUT problem text, OUT detail text)
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_wkb IS NULL THEN
        problem := 'geometry_not_polygon';
        RETURN;
    END IF;
    shape := ST_Force2D(ST_CurveToLine(ST_GeomFromWKB(p_wkb)));
    IF GeometryType(shape) = 'GEOMETRYCOLLECTION' THEN
        shape := ST_CollectionExtract(shape, 3);
    END IF;
    IF shape IS NULL OR GeometryType(shape) NOT IN ('POLYGON', 'MULTIPOLYGON')
       OR ST_IsEmpty(shape) THEN
        shape := NULL;
        problem := 'geometry_not_polygon';
    END IF;
EXCEPTION WHEN internal_error OR data_exception THEN  -- PostGIS's errors are XX000
    shape := NULL;
    problem := 'geometry_invalid';
    detail := 'PostGIS cannot read its geometry: ' || SQLERRM;
END
$$;
COMMENT ON FUNCTION registry.boundary_shape(bytea) IS
    'A boundary feature''s geometry (WKB) as a flat Polygon or MultiPolygon in the layer''s coordinates (curves cut into segments, a collection''s polygons kept), or the reason code (problem) and detail of why it cannot be one.';

-- A boundary's shape (registry.boundary_shape) as a valid WGS-84 MultiPolygon, or why it
-- cannot be one. p_layer_crs: the layer's projected CRS (GDAL's AUTH:CODE or its WKT, as
-- PROJ reads them), NULL for a layer in longitude/latitude or one whose shapes are
-- unprojected already (registry.replace_districts unprojects a layer's shapes a part at a
-- time). A surveying office hands district boundaries out in CGCS2000 / 3-degree
-- Gauss-Kruger (EPSG:4547 at Foshan's 114E): they are unprojected to longitude/latitude
-- (EPSG:4326; CGCS2000 and WGS-84 differ by centimetres) and then read as p_crs says, as
-- a layer in degrees is. --crs names what lies under the projection: cgcs2000 there,
-- gcj02 for an Amap layer reprojected to Web Mercator (unprojecting gives its GCJ-02
-- degrees back). A vertex PROJ cannot unproject (outside the projection's domain)
-- rejects that feature alone. p_layer_srid: the SRID of p_layer_crs in spatial_ref_sys,
-- when it is an EPSG code there: PostGIS then builds the transformation once for the
-- load, not again for every feature as it does from the text (130 ms a feature).
-- geometry_invalid also for coordinates outside longitude/latitude degrees (1e308, a
-- projected layer labelled as degrees): it failed the whole load with a database error
-- ("transform: Invalid coordinate").
-- A geometry in a layer's projected CRS (p_layer_crs as GDAL gives it, p_layer_srid its
-- SRID in spatial_ref_sys where it is an EPSG code there) unprojected to EPSG:4326.
CREATE OR REPLACE FUNCTION registry.unproject(p_geom geometry, p_layer_crs text,
                                              p_layer_srid integer)
RETURNS geometry LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_layer_srid IS NOT NULL
                THEN ST_Transform(ST_SetSRID(p_geom, p_layer_srid), 4326)
                ELSE ST_Transform(p_geom, p_layer_crs, 4326) END
$$;
COMMENT ON FUNCTION registry.unproject(geometry, text, integer) IS
    'A geometry in a layer''s projected CRS (p_layer_crs: AUTH:CODE or WKT; p_layer_srid: its SRID of spatial_ref_sys where it has one, whose transformation PostGIS caches) unprojected to EPSG:4326.';

CREATE OR REPLACE FUNCTION registry.boundary_geometry(
    p_shape geometry, p_crs text, p_layer_crs text, p_layer_srid integer,
    OUT geom geometry, OUT problem text, OUT detail text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    g geometry := p_shape;
BEGIN
    IF p_layer_crs IS NOT NULL THEN
        BEGIN
            g := registry.unproject(g, p_layer_crs, p_layer_srid);
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
EXCEPTION WHEN internal_error OR data_exception THEN
    geom := NULL;
    problem := 'geometry_invalid';
    detail := 'PostGIS cannot read its geometry: ' || SQLERRM;
END
$$;
COMMENT ON FUNCTION registry.boundary_geometry(geometry, text, text, integer) IS
    'A boundary''s shape (registry.boundary_shape; in the layer''s projected CRS p_layer_crs when that is not NULL, unprojected first, by its SRID p_layer_srid where it has one) as a valid WGS-84 MultiPolygon, or the reason code (problem) and detail of why it cannot be one.';

-- About how many vertices of a layer's boundaries registry.replace_districts unprojects
-- in one statement (16 bytes each: a part's geometry of about 16 MB).
CREATE OR REPLACE FUNCTION registry.unproject_part_vertices()
RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 1000000::bigint $$;
COMMENT ON FUNCTION registry.unproject_part_vertices() IS
    'About how many vertices of a projected layer''s boundaries registry.replace_districts unprojects in one statement.';

CREATE OR REPLACE FUNCTION registry.replace_districts(p_run bigint, p_crs text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    -- the region extent: a boundary outside it can hold no enterprise (their
    -- coordinates are refused outside it), so it is another place's, or misread
    v_region geometry;
    v_region_text text;  -- its text (registry.region), in the rejects' messages and the run
    v_layer_crs text;  -- the layer's projected CRS, unprojected (NULL: degrees)
    v_layer_srid integer;  -- its SRID, where it is an EPSG code of spatial_ref_sys
    v_part integer;  -- a part of the layer's shapes, unprojected together
BEGIN
    SELECT ST_MakeEnvelope(west, south, east, north, 4326), description
      INTO STRICT v_region, v_region_text
      FROM registry.region;
    SELECT layer_crs INTO STRICT v_layer_crs FROM registry.load_runs WHERE load_run_id = p_run;
    SELECT srid INTO v_layer_srid FROM spatial_ref_sys
     WHERE auth_name = upper(split_part(v_layer_crs, ':', 1))
       AND auth_srid::text = split_part(v_layer_crs, ':', 2);
    -- The shapes, unprojected a part of the layer at a time: PostGIS then builds the
    -- transformation once a part, where from a CRS given as WKT or a proj string it
    -- builds it again for each feature (107 ms from a WKT: two minutes for a layer of a
    -- thousand village boundaries, 0.6 s in one part). A part's shapes are collected in
    -- one geometry, unprojected, and dumped back to their features (ST_Dump's path: the
    -- feature, then the polygon of a MultiPolygon). Parts of about
    -- registry.unproject_part_vertices() vertices, in file order, bound the collected
    -- geometry (a national layer of townships holds tens of millions). Where a part
    -- fails (a vertex PROJ cannot unproject), each of its features is unprojected on its
    -- own, so that the one is rejected alone; the vertices and the transformation are
    -- the same either way.
    DROP TABLE IF EXISTS pg_temp.district_shapes;
    CREATE TEMP TABLE district_shapes ON COMMIT DROP AS
    SELECT s.line_no, b.shape, b.problem, b.detail, false AS unprojected,
           (sum(coalesce(ST_NPoints(b.shape), 0)) OVER (ORDER BY s.line_no)
            / registry.unproject_part_vertices())::int AS part
      FROM district_staging s CROSS JOIN LATERAL registry.boundary_shape(s.wkb) b;
    IF v_layer_crs IS NOT NULL THEN
        CREATE INDEX ON district_shapes (part);
        FOR v_part IN SELECT DISTINCT part FROM district_shapes WHERE shape IS NOT NULL
                       ORDER BY part LOOP
            BEGIN
                UPDATE district_shapes d SET shape = u.shape, unprojected = true
                  FROM (SELECT (x.dump).path[1] AS i,
                               ST_Collect((x.dump).geom ORDER BY (x.dump).path) AS shape
                          FROM (SELECT ST_Dump(registry.unproject(c.g, v_layer_crs,
                                                                  v_layer_srid)) AS dump
                                  FROM (SELECT ST_Collect(shape ORDER BY line_no) AS g
                                          FROM district_shapes
                                         WHERE part = v_part AND shape IS NOT NULL) c) x
                         GROUP BY 1) u,
                       (SELECT line_no, row_number() OVER (ORDER BY line_no)::int AS i
                          FROM district_shapes WHERE part = v_part AND shape IS NOT NULL) k
                 WHERE u.i = k.i AND d.line_no = k.line_no;
            EXCEPTION WHEN internal_error OR data_exception THEN
                NULL;  -- this part's features each on its own
            END;
        END LOOP;
    END IF;
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
    SELECT s.*, g.geom, coalesce(b.detail, g.detail) AS detail,
           CASE WHEN registry.field_value(s.code) IS NULL THEN 'district_code_missing'
                WHEN registry.field_value(s.name) IS NULL THEN 'name_missing'
                WHEN b.problem IS NOT NULL THEN b.problem
                WHEN g.problem IS NOT NULL THEN g.problem
                WHEN NOT ST_Intersects(g.geom, v_region) THEN 'boundary_outside_region'
           END AS problem
    FROM district_staging s
    JOIN district_shapes b USING (line_no)
    CROSS JOIN LATERAL registry.boundary_geometry(
        b.shape, p_crs, CASE WHEN NOT b.unprojected THEN v_layer_crs END, v_layer_srid) g
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
