-- Privileges of the two group roles. Re-runnable; skipped when the roles do not exist.
--   industry_clusters_reader : USAGE + SELECT on publish, and the QGIS styles.
--   industry_clusters_loader : read/write the registry and clustering tables, read
--                              publish, run the refresh function; no CREATE anywhere.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'industry_clusters_reader') THEN
        REVOKE ALL ON SCHEMA registry, clustering FROM industry_clusters_reader;
        GRANT USAGE ON SCHEMA publish TO industry_clusters_reader;
        GRANT SELECT ON ALL TABLES IN SCHEMA publish TO industry_clusters_reader;
        GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA publish TO industry_clusters_reader;
        -- publish.cluster_runs marks the published run with it (it reads nothing else)
        IF to_regprocedure('clustering.published_run()') IS NOT NULL THEN
            GRANT EXECUTE ON FUNCTION clustering.published_run() TO industry_clusters_reader;
        END IF;
        -- the schema revision, so the CLI can check it is talking to a current schema
        GRANT SELECT ON public.alembic_version TO industry_clusters_reader;
        -- the default QGIS styles: QGIS reads them as the user who opens the layers, and
        -- without this (until revision 0068) GIS staff got "permission denied for table
        -- layer_styles" and unstyled layers; read only, the defaults stay ours
        IF to_regclass('public.layer_styles') IS NOT NULL THEN
            GRANT SELECT ON public.layer_styles TO industry_clusters_reader;
        END IF;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'industry_clusters_loader') THEN
        GRANT USAGE ON SCHEMA registry, clustering, publish TO industry_clusters_loader;
        -- the load's scratch tables: created by SECURITY DEFINER functions, which grant
        -- the loader INSERT on the staging table it COPYs into
        IF to_regnamespace('load_work') IS NOT NULL THEN
            GRANT USAGE ON SCHEMA load_work TO industry_clusters_loader;
        END IF;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA registry, clustering
            TO industry_clusters_loader;
        GRANT USAGE ON ALL SEQUENCES IN SCHEMA registry, clustering TO industry_clusters_loader;
        GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA registry, clustering, publish
            TO industry_clusters_loader;
        GRANT SELECT ON ALL TABLES IN SCHEMA publish TO industry_clusters_loader;
        GRANT SELECT ON public.alembic_version TO industry_clusters_loader;
    END IF;
END
$$;
-- Functions are executable by PUBLIC by default; ours are for the two roles only (the
-- publish.<layer>_of functions are SECURITY DEFINER: they read internal tables).
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA registry, clustering, publish FROM PUBLIC;
