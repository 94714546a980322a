-- Cluster lineage: each run's clusters matched to its previous run's, so that a
-- cluster keeps its persistent key (clustering.clusters.cluster_key) while it is
-- clearly the same cluster, and events are recorded when it is not.
--
-- Rules (share s = 0.25, change c = 0.10 by default; recorded nowhere else):
--   link a -> b   old cluster a and new cluster b of the same sector share members,
--                 at least s of a's or s of b's. Clusters with no such link on either
--                 side are linked when their hulls overlap by s of the smaller area
--                 (for members that changed identity).
--   keys          links in order of shared members (then hull overlap, key, id):
--                 b takes a's key unless b already has a key or a's key is taken.
--                 Every other new cluster keeps the new key it was inserted with.
--   events of b   born      no link;
--                 merged    links from two or more old clusters (parent_keys: all);
--                 split     one parent, and b did not get its key or the parent has
--                           other links (parent_keys: the parent);
--                 grew / shrank / stable
--                           one parent, kept its key, size changed by at least c of
--                           the parent's size up / down, or less.
--   dissolved     an old cluster with no link: a row with its key and no cluster.

CREATE OR REPLACE FUNCTION clustering.previous_run(p_run bigint)
RETURNS bigint LANGUAGE sql STABLE AS $$
    -- The run a run follows: same eps, min points and sectors, succeeded, and the
    -- latest before it in time (as-of date, or start date for a current run).
    SELECT p.run_id
      FROM clustering.runs r JOIN clustering.runs p
        ON p.eps_m = r.eps_m AND p.min_points = r.min_points AND p.sector_ids = r.sector_ids
     WHERE r.run_id = p_run AND p.status = 'succeeded'
       AND (coalesce(p.as_of, p.started_at::date), p.run_id)
           < (coalesce(r.as_of, r.started_at::date), r.run_id)
     ORDER BY coalesce(p.as_of, p.started_at::date) DESC, p.run_id DESC
     LIMIT 1
$$;
COMMENT ON FUNCTION clustering.previous_run(bigint) IS
    'The succeeded run with the same parameters that a run''s lineage is traced from.';

CREATE OR REPLACE FUNCTION clustering.trace_lineage(
    p_run bigint, p_share double precision DEFAULT 0.25, p_change double precision DEFAULT 0.10)
RETURNS jsonb LANGUAGE plpgsql
SET client_min_messages = warning AS $$  -- no NOTICEs of scratch tables not there to drop
DECLARE
    v_prev bigint := clustering.previous_run(p_run);
    l record;
    v_events jsonb;
    v_old_free bigint[];  -- clusters of the previous run / of this run with no link
    v_new_free bigint[];
    v_nestloop text := current_setting('enable_nestloop');
    v_mergejoin text := current_setting('enable_mergejoin');
BEGIN
    UPDATE clustering.runs SET previous_run_id = v_prev WHERE run_id = p_run;

    -- The members two runs share, counted per pair of clusters: both runs' partitions
    -- of clustering.members (each analyzed when attached) joined by hash. Left to
    -- itself the planner expects billions of matches (2.6e9 for 1,117,610 members on
    -- each side) and probes the old partition's index once per member: 1.0-1.1 s
    -- against 0.5-0.6 s hashed at 1,117,610 members; copying both into temp tables
    -- to join them took 1.5 s (revision 0042).
    PERFORM set_config('enable_nestloop', 'off', true);
    PERFORM set_config('enable_mergejoin', 'off', true);
    DROP TABLE IF EXISTS pg_temp.lin_links;
    CREATE TEMP TABLE lin_links ON COMMIT DROP AS
    SELECT s.a, s.b, s.shared, 0::double precision AS overlap
      FROM (SELECT o.cluster_id AS a, n.cluster_id AS b, count(*)::int AS shared
              FROM clustering.members n JOIN clustering.members o USING (enterprise_id)
             WHERE n.run_id = p_run AND o.run_id = v_prev
             GROUP BY 1, 2) s
      JOIN clustering.clusters ca ON ca.cluster_id = s.a
      JOIN clustering.clusters cb ON cb.cluster_id = s.b
     WHERE ca.sector_id = cb.sector_id
       AND (s.shared >= p_share * ca.n_members OR s.shared >= p_share * cb.n_members);
    PERFORM set_config('enable_nestloop', v_nestloop, true);
    PERFORM set_config('enable_mergejoin', v_mergejoin, true);

    -- The clusters with no link, old and new, first: the overlap is then computed for
    -- their pairs only. Written as one anti-join, the planner (blind to the new run's
    -- clusters) computed it for every pair of intersecting hulls first: 3.7 s for the
    -- 10,742 pairs of 3,582 clusters, when no cluster was left unlinked.
    -- As set differences (hashed): the new run's clusters have no statistics yet, and
    -- an anti-join taken for one row scanned the links once per cluster (0.3 s for
    -- 3,582 clusters).
    v_old_free := ARRAY(SELECT cluster_id FROM clustering.clusters WHERE run_id = v_prev
                        EXCEPT SELECT a FROM lin_links);
    v_new_free := ARRAY(SELECT cluster_id FROM clustering.clusters WHERE run_id = p_run
                        EXCEPT SELECT b FROM lin_links);
    INSERT INTO lin_links
    SELECT a.cluster_id, b.cluster_id, 0, ST_Area(ST_Intersection(a.hull, b.hull))
      FROM clustering.clusters a
      JOIN clustering.clusters b ON b.run_id = p_run AND b.sector_id = a.sector_id
                                AND ST_Intersects(a.hull, b.hull)
     WHERE a.run_id = v_prev
       AND a.cluster_id = ANY (v_old_free) AND b.cluster_id = ANY (v_new_free)
       AND ST_Area(ST_Intersection(a.hull, b.hull))
           >= p_share * least(ST_Area(a.hull), ST_Area(b.hull));

    ANALYZE lin_links;
    DROP TABLE IF EXISTS pg_temp.lin_keys;
    CREATE TEMP TABLE lin_keys (cluster_id bigint PRIMARY KEY, cluster_key bigint UNIQUE)
        ON COMMIT DROP;
    FOR l IN SELECT k.b, ca.cluster_key FROM lin_links k
               JOIN clustering.clusters ca ON ca.cluster_id = k.a
              ORDER BY k.shared DESC, k.overlap DESC, ca.cluster_key, k.b LOOP
        INSERT INTO lin_keys VALUES (l.b, l.cluster_key) ON CONFLICT DO NOTHING;
    END LOOP;
    UPDATE clustering.clusters c SET cluster_key = k.cluster_key
      FROM lin_keys k WHERE k.cluster_id = c.cluster_id;

    -- each new cluster's parents, aggregated once (siblings: the links of each parent)
    INSERT INTO clustering.lineage (run_id, cluster_key, cluster_id, event, parent_keys,
                                    size_before, size_after, shared_members)
    SELECT p_run, c.cluster_key, c.cluster_id,
           CASE WHEN p.n IS NULL THEN 'born'
                WHEN p.n >= 2 THEN 'merged'
                WHEN NOT c.cluster_key = ANY (p.keys) OR p.siblings > 1 THEN 'split'
                WHEN c.n_members - p.size >= p_change * p.size THEN 'grew'
                WHEN p.size - c.n_members >= p_change * p.size THEN 'shrank'
                ELSE 'stable' END,
           coalesce(p.keys, '{}'), coalesce(p.size, 0), c.n_members, coalesce(p.shared, 0)
      FROM clustering.clusters c
      LEFT JOIN (
            SELECT k.b, count(*)::int AS n, array_agg(a.cluster_key ORDER BY a.cluster_key) AS keys,
                   sum(a.n_members)::int AS size, sum(k.shared)::int AS shared,
                   max(sib.n) AS siblings
              FROM lin_links k
              JOIN clustering.clusters a ON a.cluster_id = k.a
              JOIN (SELECT s.a, count(*) AS n FROM lin_links s GROUP BY s.a) sib ON sib.a = k.a
             GROUP BY k.b) p ON p.b = c.cluster_id
     WHERE c.run_id = p_run;

    -- dissolved: an old cluster left without a link, so one of v_old_free (tested first:
    -- taken for one row, the previous run's clusters were each compared with every
    -- link, 6.4 million comparisons and 0.35 s for 3,582 clusters)
    INSERT INTO clustering.lineage (run_id, cluster_key, cluster_id, event, parent_keys,
                                    size_before, size_after, shared_members)
    SELECT p_run, a.cluster_key, NULL, 'dissolved', '{}', a.n_members, 0, 0
      FROM clustering.clusters a
     WHERE a.run_id = v_prev AND a.cluster_id = ANY (v_old_free)
       AND NOT EXISTS (SELECT FROM lin_links k WHERE k.a = a.cluster_id);

    SELECT coalesce(jsonb_object_agg(event, n), '{}') INTO v_events
      FROM (SELECT event, count(*) AS n FROM clustering.lineage WHERE run_id = p_run
             GROUP BY event) e;
    RETURN jsonb_build_object('previous_run', v_prev, 'events', v_events);
END
$$;
COMMENT ON FUNCTION clustering.trace_lineage(bigint, double precision, double precision) IS
    'Matches a run''s clusters to its previous run''s: persistent keys and lineage events (rules in sql/cluster/040_lineage.sql).';
