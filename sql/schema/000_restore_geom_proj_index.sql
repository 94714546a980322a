-- Downgrade of revision 0025: the registry's GiST index on the projected point again.
CREATE INDEX IF NOT EXISTS enterprises_geom_proj_idx ON registry.enterprises USING gist (geom_proj);
