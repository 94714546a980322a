-- Geometry for exports: from the projected SRID to the requested output system.
--   projected : as stored (registry.settings.projected_srid)
--   wgs84     : EPSG:4326
--   gcj02     : GCJ-02 lon/lat for Amap basemaps (no EPSG code exists: labelled 4326)
CREATE OR REPLACE FUNCTION publish.export_geom(geom geometry, crs text)
RETURNS geometry LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE crs
        WHEN 'projected' THEN geom
        WHEN 'wgs84' THEN ST_Transform(geom, 4326)
        ELSE publish.convert(ST_Transform(geom, 4326), 'wgs84', crs)
    END
$$;
COMMENT ON FUNCTION publish.export_geom(geometry, text) IS
    'Projected geometry -> geometry in projected, wgs84 or gcj02 (for exports).';
