-- Downgrade of revision 0100.
DROP FUNCTION IF EXISTS registry.reject_records(bigint, text[]);
DROP FUNCTION IF EXISTS registry.reject_records(bigint, text[], text[]);
DROP FUNCTION IF EXISTS registry.reject_columns(bigint);
ALTER TABLE registry.load_runs DROP COLUMN IF EXISTS headers;
