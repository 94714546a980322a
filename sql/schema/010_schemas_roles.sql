-- Schemas and roles. Re-runnable.
--   registry   : what the loader keeps (enterprises, districts, load runs, rejects, rules)
--   clustering : clustering runs and their results
--   publish    : the stable interface QGIS and analysts read (views only)
--   load_work  : scratch tables of the load in progress (none between loads)
CREATE SCHEMA IF NOT EXISTS registry;
CREATE SCHEMA IF NOT EXISTS clustering;
CREATE SCHEMA IF NOT EXISTS publish;
CREATE SCHEMA IF NOT EXISTS load_work;
COMMENT ON SCHEMA registry IS 'industry-clusters internal: enterprises, districts, load runs, rejected rows and screening rules. May change between versions; read publish instead.';
COMMENT ON SCHEMA clustering IS 'industry-clusters internal: clustering runs, clusters and memberships. May change between versions; read publish instead.';
COMMENT ON SCHEMA load_work IS 'industry-clusters internal: unlogged scratch tables of the load in progress, created and dropped inside its transaction.';
COMMENT ON SCHEMA publish IS 'industry-clusters published interface for QGIS and SQL analysts: stable, typed, keyed, commented.';

-- Group roles (NOLOGIN): grant them to login roles. Creating roles needs CREATEROLE;
-- without it they are skipped with a notice and the grants below are skipped too.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'industry_clusters_reader') THEN
        CREATE ROLE industry_clusters_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'industry_clusters_loader') THEN
        CREATE ROLE industry_clusters_loader NOLOGIN;
    END IF;
    COMMENT ON ROLE industry_clusters_reader IS 'industry-clusters: SELECT on schema publish only';
    COMMENT ON ROLE industry_clusters_loader IS 'industry-clusters: nightly load/cluster/refresh, no DDL';
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'industry-clusters: not allowed to create roles (%); grant them by hand', SQLERRM;
END
$$;
