-- The cluster profiles (clustering.cluster_profiles) of clusters that have none: those
-- of the runs made before revision 0060, which counted the survey's figures from the
-- registry at every refresh. Counted here from the registry as it is at the upgrade
-- (the attributes they were clustered with are not kept anywhere); from then on they
-- stay as they are. Re-runnable: clusters with profiles are left alone, and every
-- cluster made since has them.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM clustering.clusters c
                    WHERE NOT EXISTS (SELECT FROM clustering.cluster_profiles p
                                       WHERE p.cluster_id = c.cluster_id)) THEN
        RETURN;
    END IF;
    DROP TABLE IF EXISTS pg_temp.cl_out;
    CREATE TEMP TABLE cl_out ON COMMIT DROP AS
    SELECT m.enterprise_id, c.sector_id, m.cluster_id AS cid, e.size_class,
           e.digital_transformation, e.capital_cny
      FROM clustering.clusters c
      JOIN clustering.members m ON m.run_id = c.run_id AND m.cluster_id = c.cluster_id
      JOIN registry.enterprises e ON e.enterprise_id = m.enterprise_id
     WHERE NOT EXISTS (SELECT FROM clustering.cluster_profiles p
                        WHERE p.cluster_id = c.cluster_id);
    INSERT INTO clustering.cluster_profiles (cluster_id, size_class, n_members, n_digital,
                                             n_digital_known, capital_sum_cny, n_capital)
    SELECT cid, size_class, n_members, n_digital, n_digital_known, capital_sum_cny, n_capital
      FROM clustering.cl_out_profiles();
    DROP TABLE pg_temp.cl_out;
END
$$;
