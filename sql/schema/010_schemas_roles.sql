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

-- Who may write a table a SECURITY DEFINER function makes for the job that calls it (the
-- load's staging table, a run's members table): the loader group role, so that a job
-- acting as it by SET ROLE can (a NOINHERIT member, PGOPTIONS='-c role=...', an
-- administrator trying it in psql: the session user is then another role), and the
-- session user, for a caller outside the group roles. Nobody is granted what it owns.
-- p_grant false takes the right back. Revision 0047; before, only the session user was
-- granted it, and such a job failed with "permission denied".
CREATE OR REPLACE FUNCTION registry.job_writers(p_table regclass, p_grant boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_role text;
BEGIN
    FOR v_role IN
        SELECT DISTINCT r FROM unnest(ARRAY[session_user::text, 'industry_clusters_loader']) r
         WHERE r <> current_user AND EXISTS (SELECT FROM pg_roles WHERE rolname = r)
    LOOP
        EXECUTE format(CASE WHEN p_grant THEN 'GRANT INSERT ON %s TO %I'
                            ELSE 'REVOKE INSERT ON %s FROM %I' END, p_table, v_role);
    END LOOP;
END
$$;
COMMENT ON FUNCTION registry.job_writers(regclass, boolean) IS
    'Grants (or revokes) INSERT on a job''s scratch table to the loader group role and the session user (called by the SECURITY DEFINER functions that make such tables).';
