-- Downgrade of the evolution functions (revision 0008).
DROP FUNCTION IF EXISTS publish.district_change(bigint, bigint),
    publish.cluster_growth(bigint, bigint), publish.evolution_events(bigint, bigint),
    publish.run_chain(bigint, bigint);
