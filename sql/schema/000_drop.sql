-- Downgrade to nothing: drop everything industry-clusters created in this database.
-- The roles are cluster-wide (other databases may use them) and are left in place.
DROP SCHEMA IF EXISTS publish CASCADE;
DROP SCHEMA IF EXISTS clustering CASCADE;
DROP SCHEMA IF EXISTS registry CASCADE;
DROP SCHEMA IF EXISTS load_work CASCADE;
