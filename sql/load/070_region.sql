-- The study region (registry.settings): the extent outside which a load rejects
-- coordinates (coordinates_outside_region) and load-districts rejects boundaries, and
-- how true the projected SRID's metres are there. For another city than the default
-- Foshan: SELECT registry.set_region('Quanzhou', 117.9, 24.4, 119.1, 25.6);
-- (industry-clusters db region). Re-runnable.

-- How far the projected SRID's metres are from metres on the ground at (lon, lat): the
-- larger relative error of a step of 0.01 degrees east and one north, against their
-- length on the ellipsoid (0.0026: distances 0.26% long). A Gauss-Krueger or UTM zone
-- is within 0.1% in its own zone and drifts away from it as the square of the distance
-- from its central meridian.
CREATE OR REPLACE FUNCTION registry.projection_scale_error(p_lon double precision,
                                                          p_lat double precision)
RETURNS double precision LANGUAGE sql STABLE AS $$
SELECT greatest(abs(ST_Distance(ST_Transform(o, s.projected_srid), ST_Transform(e, s.projected_srid))
                    / ST_Distance(o::geography, e::geography) - 1),
                abs(ST_Distance(ST_Transform(o, s.projected_srid), ST_Transform(n, s.projected_srid))
                    / ST_Distance(o::geography, n::geography) - 1))
  FROM registry.settings s,
       LATERAL (SELECT ST_SetSRID(ST_MakePoint(p_lon, p_lat), 4326) AS o,
                       ST_SetSRID(ST_MakePoint(p_lon + 0.01, p_lat), 4326) AS e,
                       ST_SetSRID(ST_MakePoint(p_lon, p_lat + 0.01), 4326) AS n) p
$$;
COMMENT ON FUNCTION registry.projection_scale_error(double precision, double precision) IS
    'Relative error of the projected SRID''s distances at a WGS-84 lon/lat (0.0026: 0.26% long); eps and areas are measured in that SRID.';

-- A projected CRS centred near (lon, lat), for a region the default SRID measures badly:
-- the CGCS2000 3-degree Gauss-Krueger zone with the nearest central meridian (EPSG:4534,
-- CM 75E, to EPSG:4554, CM 135E: China's grid, as the default 4547, CM 114E), else the
-- WGS 84 UTM zone.
CREATE OR REPLACE FUNCTION registry.local_srid(p_lon double precision, p_lat double precision)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN p_lon >= 73.5 AND p_lon < 136.5 AND p_lat >= 0
            THEN 4534 + round((p_lon - 75) / 3)::int
            ELSE CASE WHEN p_lat >= 0 THEN 32600 ELSE 32700 END
                 + least(floor((p_lon + 180) / 6)::int + 1, 60) END
$$;
COMMENT ON FUNCTION registry.local_srid(double precision, double precision) IS
    'A projected SRID centred near a WGS-84 lon/lat: the CGCS2000 3-degree Gauss-Krueger zone (4534-4554) in China''s longitudes, else the UTM zone.';

-- The region as one row: registry.settings' name and extent, its centre, how true the
-- projected SRID's metres are there, a truer SRID, and the one text that names it (the
-- rejects' messages, load_runs.region, db region and db status all show this text).
CREATE OR REPLACE VIEW registry.region AS
SELECT s.region_name AS name, s.region_xmin AS west, s.region_ymin AS south,
       s.region_xmax AS east, s.region_ymax AS north, c.lon AS centre_lon, c.lat AS centre_lat,
       s.projected_srid AS srid, registry.projection_scale_error(c.lon, c.lat) AS scale_error,
       registry.local_srid(c.lon, c.lat) AS local_srid,
       format('%s (longitude %s to %s, latitude %s to %s)', s.region_name, s.region_xmin,
              s.region_xmax, s.region_ymin, s.region_ymax) AS description
  FROM registry.settings s,
       LATERAL (SELECT (s.region_xmin + s.region_xmax) / 2 AS lon,
                       (s.region_ymin + s.region_ymax) / 2 AS lat) c;
COMMENT ON VIEW registry.region IS
    'The study region (registry.settings) as one row: name, WGS-84 extent, centre, the projected SRID''s distance error at the centre, a truer SRID there, and description, the text that names it. Set it with registry.set_region.';
COMMENT ON COLUMN registry.region.name IS 'The region''s name (the city, say).';
COMMENT ON COLUMN registry.region.west IS 'West edge of the extent, WGS-84 longitude.';
COMMENT ON COLUMN registry.region.south IS 'South edge of the extent, WGS-84 latitude.';
COMMENT ON COLUMN registry.region.east IS 'East edge of the extent, WGS-84 longitude.';
COMMENT ON COLUMN registry.region.north IS 'North edge of the extent, WGS-84 latitude.';
COMMENT ON COLUMN registry.region.centre_lon IS 'Longitude of the extent''s centre, where scale_error is measured.';
COMMENT ON COLUMN registry.region.centre_lat IS 'Latitude of the extent''s centre.';
COMMENT ON COLUMN registry.region.srid IS 'The projected SRID (fixed at db init) in which eps and areas are measured.';
COMMENT ON COLUMN registry.region.scale_error IS
    'Relative error of the projected SRID''s distances at the centre (0.0026: 0.26% long).';
COMMENT ON COLUMN registry.region.local_srid IS
    'A projected SRID centred near the region (registry.local_srid), for db init --srid.';
COMMENT ON COLUMN registry.region.description IS
    'Foshan (longitude 112.33 to 113.45, latitude 22.58 to 23.63), say: the text every message and load run names the region by.';

-- Sets the region, or refuses (invalid_parameter_value) a nameless one, an extent that
-- is not WGS-84 degrees west < east, south < north, or one whose centre the projected
-- SRID measures more than 1% wrong (eps 500 would be another distance on the ground):
-- the SRID is fixed at db init, so that region needs a database of its own.
CREATE OR REPLACE FUNCTION registry.set_region(p_name text, p_xmin double precision,
                                               p_ymin double precision,
                                               p_xmax double precision,
                                               p_ymax double precision)
RETURNS registry.settings LANGUAGE plpgsql AS $$
DECLARE
    v_region registry.region;
    v_out registry.settings;
BEGIN
    IF p_name IS NULL OR btrim(p_name) = '' THEN
        RAISE EXCEPTION 'give the region a name (the city, say)'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT (p_xmin >= -180 AND p_xmax <= 180 AND p_ymin >= -90 AND p_ymax <= 90) THEN
        RAISE EXCEPTION 'the extent is WGS-84 degrees: west and east longitude from -180 to 180, south and north latitude from -90 to 90, not % % % %',
            p_xmin, p_ymin, p_xmax, p_ymax USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT (p_xmin < p_xmax AND p_ymin < p_ymax) THEN
        RAISE EXCEPTION 'the extent is west, south, east, north: west must be less than east and south less than north, not % % % %',
            p_xmin, p_ymin, p_xmax, p_ymax USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE registry.settings
       SET region_name = btrim(p_name), region_xmin = p_xmin, region_ymin = p_ymin,
           region_xmax = p_xmax, region_ymax = p_ymax;
    -- measured on the region just set (one rule for its centre: the view); the
    -- exception undoes the update
    SELECT * INTO v_region FROM registry.region;
    IF NOT v_region.scale_error <= 0.01 THEN  -- NOT ... <=: a NaN error is refused too
        RAISE EXCEPTION 'the projected SRID % measures distances % wrong at the centre of this region, so eps and areas would be wrong there; the SRID is fixed at db init: set this region in a new database initialised with a projected CRS for it (db init --srid %)',
            v_region.srid, round(v_region.scale_error::numeric * 100, 1) || '%',
            v_region.local_srid USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO v_out FROM registry.settings;
    RETURN v_out;
END
$$;
COMMENT ON FUNCTION registry.set_region(text, double precision, double precision, double precision, double precision) IS
    'Sets the region: a name and its WGS-84 extent west, south, east, north. Refuses an extent the projected SRID measures more than 1% wrong. Example: SELECT registry.set_region(''Quanzhou'', 117.9, 24.4, 119.1, 25.6);';
