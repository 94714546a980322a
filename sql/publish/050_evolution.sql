-- Cluster evolution between two runs of one series (industry-clusters report evolution).
-- Built on publish only, so the reader role may call them. Re-runnable.

CREATE OR REPLACE FUNCTION publish.run_chain(p_from bigint, p_to bigint)
RETURNS TABLE (run_id bigint, step integer)
LANGUAGE sql STABLE AS $$
    -- The runs after p_from up to p_to, following previous_run_id back from p_to.
    -- Empty when p_from is not an earlier run of p_to's series.
    WITH RECURSIVE back AS (
        SELECT r.run_id, r.previous_run_id, 1 AS step
          FROM publish.cluster_runs r WHERE r.run_id = p_to AND p_from <> p_to
        UNION ALL
        SELECT r.run_id, r.previous_run_id, b.step + 1
          FROM back b JOIN publish.cluster_runs r ON r.run_id = b.previous_run_id
         WHERE b.previous_run_id <> p_from)
    SELECT b.run_id, b.step FROM back b
     WHERE EXISTS (SELECT FROM back x WHERE x.previous_run_id = p_from)
$$;
COMMENT ON FUNCTION publish.run_chain(bigint, bigint) IS
    'The runs after p_from up to p_to in one series (empty if p_from is not an ancestor of p_to).';

CREATE OR REPLACE FUNCTION publish.evolution_events(p_from bigint, p_to bigint)
RETURNS TABLE (sector text, event text, clusters integer)
LANGUAGE sql STABLE AS $$
    SELECT l.sector, l.event, count(*)::int
      FROM publish.cluster_lineage l JOIN publish.run_chain(p_from, p_to) c USING (run_id)
     GROUP BY 1, 2
     ORDER BY 1, array_position(ARRAY['born', 'grew', 'stable', 'shrank', 'merged', 'split',
                                      'dissolved'], l.event)
$$;
COMMENT ON FUNCTION publish.evolution_events(bigint, bigint) IS
    'Lineage events per sector over the runs after p_from up to p_to.';

CREATE OR REPLACE FUNCTION publish.cluster_growth(p_from bigint, p_to bigint)
RETURNS TABLE (cluster_key bigint, sector text, district_name text, tier_before text,
               tier_after text, members_before integer, members_after integer,
               growth integer, growth_pct numeric)
LANGUAGE sql STABLE AS $$
    -- Clusters present in both runs (same persistent key), fastest-growing first.
    SELECT t.cluster_key, t.sector, t.district_name, f.tier, t.tier, f.n_members, t.n_members,
           t.n_members - f.n_members,
           round(100.0 * (t.n_members - f.n_members) / f.n_members, 1)
      FROM publish.clusters_of(p_to) t JOIN publish.clusters_of(p_from) f USING (cluster_key)
     ORDER BY t.n_members - f.n_members DESC, t.cluster_key
$$;
COMMENT ON FUNCTION publish.cluster_growth(bigint, bigint) IS
    'Clusters present in both runs (by persistent key) with their change in members, fastest-growing first.';

CREATE OR REPLACE FUNCTION publish.district_change(p_from bigint, p_to bigint)
RETURNS TABLE (sector text, district_name text, clusters_before integer,
               clusters_after integer, enterprises_before integer, enterprises_after integer)
LANGUAGE sql STABLE AS $$
    SELECT coalesce(t.sector, f.sector), coalesce(t.district_name, f.district_name),
           coalesce(f.clusters, 0), coalesce(t.clusters, 0),
           coalesce(f.enterprises_in_clusters, 0), coalesce(t.enterprises_in_clusters, 0)
      FROM publish.district_sector_stats_of(p_to) t
      FULL JOIN publish.district_sector_stats_of(p_from) f
             ON f.sector = t.sector AND f.district_name = t.district_name
     ORDER BY 1, 2
$$;
COMMENT ON FUNCTION publish.district_change(bigint, bigint) IS
    'Clusters and clustered enterprises per sector and district in two runs.';
