-- Downgrade of revision 0083: the region functions (and revision 0085's view of them).
DROP VIEW IF EXISTS registry.region;
DROP FUNCTION IF EXISTS registry.set_region(text, double precision, double precision,
                                            double precision, double precision);
DROP FUNCTION IF EXISTS registry.projection_scale_error(double precision, double precision);
DROP FUNCTION IF EXISTS registry.local_srid(double precision, double precision);
