-- Downgrade of revision 0015: the member check goes back to a foreign key.
DROP TRIGGER IF EXISTS members_inserted ON clustering.members;
DROP TRIGGER IF EXISTS members_updated ON clustering.members;
DROP TRIGGER IF EXISTS clusters_deleted ON clustering.clusters;
DROP FUNCTION IF EXISTS clustering.members_check_clusters();
DROP FUNCTION IF EXISTS clustering.clusters_delete_members();
ALTER TABLE clustering.members DROP CONSTRAINT IF EXISTS members_cluster_fkey;
ALTER TABLE clustering.members ADD CONSTRAINT members_cluster_fkey
    FOREIGN KEY (run_id, cluster_id) REFERENCES clustering.clusters (run_id, cluster_id)
    ON DELETE CASCADE;
