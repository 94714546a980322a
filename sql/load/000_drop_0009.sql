-- Run by revision 0010 before the new loader functions: the signatures it replaces.
DROP FUNCTION IF EXISTS registry.begin_load();
DROP FUNCTION IF EXISTS registry.prepare_district_parts();
