-- Downgrade of revision 0015: the keys of the members and the rejects go back to
-- foreign keys.
DROP TRIGGER IF EXISTS members_inserted ON clustering.members;
DROP TRIGGER IF EXISTS members_updated ON clustering.members;
DROP TRIGGER IF EXISTS clusters_deleted ON clustering.clusters;
DROP TRIGGER IF EXISTS rejects_inserted ON registry.rejects;
DROP TRIGGER IF EXISTS rejects_updated ON registry.rejects;
DROP TRIGGER IF EXISTS load_runs_deleted ON registry.load_runs;
DROP TRIGGER IF EXISTS reason_codes_deleted ON registry.reason_codes;
DROP TRIGGER IF EXISTS reason_codes_updated ON registry.reason_codes;
DROP FUNCTION IF EXISTS registry.check_references();
DROP FUNCTION IF EXISTS registry.delete_references();
DROP FUNCTION IF EXISTS registry.refuse_referenced();
DROP FUNCTION IF EXISTS registry.column_list(text, text);
ALTER TABLE clustering.members DROP CONSTRAINT IF EXISTS members_cluster_fkey;
ALTER TABLE clustering.members ADD CONSTRAINT members_cluster_fkey
    FOREIGN KEY (run_id, cluster_id) REFERENCES clustering.clusters (run_id, cluster_id)
    ON DELETE CASCADE;
ALTER TABLE registry.rejects DROP CONSTRAINT IF EXISTS rejects_load_run_id_fkey,
    DROP CONSTRAINT IF EXISTS rejects_reason_fkey;
ALTER TABLE registry.rejects
    ADD CONSTRAINT rejects_load_run_id_fkey FOREIGN KEY (load_run_id)
        REFERENCES registry.load_runs ON DELETE CASCADE,
    ADD CONSTRAINT rejects_reason_fkey FOREIGN KEY (reason) REFERENCES registry.reason_codes;
