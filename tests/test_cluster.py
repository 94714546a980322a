"""Clustering in PostGIS: against an independent DBSCAN, planted clusters, edge cases."""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import psycopg
import pytest
from points import X0, Y0, blob, insert_points

from helpers import assert_no_traceback, assert_one_line_error, run_cli
from industry_clusters.cluster import refresh, run_clustering


def members(conn, run_id: int) -> dict[int, tuple[int, bool]]:
    """enterprise_id -> (cluster_id, is_core) of a run."""
    return {e: (c, core) for e, c, core in conn.execute(
        "SELECT enterprise_id, cluster_id, is_core FROM clustering.members WHERE run_id = %s",
        (run_id,))}


def projected_xy(conn, sector: str = "software"):
    rows = conn.execute(
        "SELECT e.enterprise_id, ST_X(geom_proj), ST_Y(geom_proj) FROM registry.enterprises e "
        "JOIN registry.sectors s USING (sector_id) WHERE s.code = %s AND e.active "
        "ORDER BY e.enterprise_id", (sector,)).fetchall()
    return [r[0] for r in rows], np.array([(r[1], r[2]) for r in rows])


@pytest.mark.parametrize("method", ["points", "cells"])
@pytest.mark.parametrize("seed, eps, min_points", [(1, 500, 30), (2, 300, 10), (3, 800, 5),
                                                   (4, 250, 1)])
def test_matches_scikit_learn_dbscan(db_url, conn, seed, eps, min_points, method):
    from sklearn.cluster import DBSCAN

    rng = random.Random(seed)
    pts = []
    for _ in range(6):  # blobs of varied density, some touching, plus background noise
        pts += blob(rng, rng.randint(10, 120), rng.uniform(0, 8000), rng.uniform(0, 8000),
                    rng.uniform(150, 700))
    pts += [(rng.uniform(-2000, 10000), rng.uniform(-2000, 10000)) for _ in range(400)]
    insert_points(conn, pts)
    res = run_clustering(db_url, eps=eps, min_points=min_points, method=method)
    assert {p["method"] for p in res.timings["parts"]} == {method}
    ids, xy = projected_xy(conn)
    sk = DBSCAN(eps=eps, min_samples=min_points).fit(xy)
    got = members(conn, res.run_id)

    sk_noise = {ids[i] for i in np.flatnonzero(sk.labels_ == -1)}
    assert {e for e in ids if e not in got} == sk_noise
    sk_core = {ids[i] for i in sk.core_sample_indices_}
    assert {e for e, (_, core) in got.items() if core} == sk_core
    # identical partition of the core points
    ours, theirs = {}, {}
    for i, e in enumerate(ids):
        if e in sk_core:
            ours.setdefault(got[e][0], set()).add(e)
            theirs.setdefault(sk.labels_[i], set()).add(e)
    assert sorted(map(sorted, ours.values())) == sorted(map(sorted, theirs.values()))
    assert res.clusters == len(set(sk.labels_) - {-1})
    # each centroid is the mean of its members' coordinates (summed in micrometres)
    where = dict(zip(ids, map(tuple, xy), strict=True))
    for cid, x, y in conn.execute("SELECT cluster_id, ST_X(centroid), ST_Y(centroid) FROM "
                                  "clustering.clusters WHERE run_id = %s", (res.run_id,)):
        mine = np.array([where[e] for e, (c, _) in got.items() if c == cid])
        assert np.abs(mine.mean(axis=0) - (x, y)).max() < 1e-6


def test_planted_clusters_are_recovered_with_their_geometry(db_url, conn):
    rng = random.Random(5)
    a = insert_points(conn, blob(rng, 60, 0, 0, 150))
    b = insert_points(conn, blob(rng, 35, 3000, 0, 120), district="南海区")
    c = insert_points(conn, blob(rng, 200, 0, 4000, 200))
    noise = insert_points(conn, [(rng.uniform(-5000, 8000), rng.uniform(-8000, -3000))
                                 for _ in range(60)])
    comms = insert_points(conn, blob(rng, 40, 0, 0, 150), sector="comms")
    res = run_clustering(db_url)
    got = members(conn, res.run_id)
    groups = {}
    for e, (cid, _) in got.items():
        groups.setdefault(cid, set()).add(e)
    assert sorted(map(len, groups.values())) == [35, 40, 60, 200]
    assert set(map(frozenset, groups.values())) == {frozenset(x) for x in (a, b, c, comms)}
    assert not set(noise) & set(got)
    rows = conn.execute(
        "SELECT n_members, n_core, ST_IsValid(hull), GeometryType(hull), ST_SRID(hull), "
        "area_km2, density_per_km2, district_name, ST_Within(centroid, hull) "
        "FROM clustering.clusters WHERE run_id = %s ORDER BY n_members", (res.run_id,)).fetchall()
    for n, n_core, valid, gtype, srid, area, density, _, inside in rows:
        assert valid and gtype == "MULTIPOLYGON" and srid == 4547 and inside
        assert n_core == n  # tight discs: every member is core
        assert area > 0 and density == pytest.approx(n / area)
    assert rows[0][7] == "南海区" and rows[-1][7] == "禅城区"


@pytest.mark.parametrize("method", ["points", "cells"])
def test_edge_cases(db_url, conn, method):
    rng = random.Random(9)
    insert_points(conn, blob(rng, 29, 0, 0, 100))  # fewer than min points: noise
    same = insert_points(conn, [(5000.0, 5000.0)] * 30)  # duplicate coordinates
    line = insert_points(conn, [(i * 10.0, 9000.0) for i in range(31)])  # collinear
    res = run_clustering(db_url, method=method)  # the comms partition is empty
    assert res.points == 90 and res.clusters == 2
    rows = conn.execute("SELECT n_members, area_km2 FROM clustering.clusters WHERE run_id = %s "
                        "ORDER BY n_members", (res.run_id,)).fetchall()
    assert [r[0] for r in rows] == [len(same), len(line)]
    assert all(r[1] > 0 for r in rows)  # degenerate hulls still have an area (buffer)
    # two sizes only: jenks makes the larger core and the other small, and says so
    assert conn.execute("SELECT array_agg(tier ORDER BY n_members) FROM clustering.clusters "
                        "WHERE run_id = %s", (res.run_id,)).fetchone()[0] == ["small", "core"]
    assert "software: core >= 31, no medium tier (fewer than three cluster sizes)" \
        in res.summary()
    conn.commit()
    none = run_cli("cluster", "--sectors", "comms", "--method", method, url=db_url)  # no point
    assert none.exit_code == 0, none.output
    assert "0 clusters, 0 of 0 enterprises clustered; tiers (jenks) none: no cluster; " \
        in none.output
    assert "no enterprise to cluster" in none.output  # and what to do about it
    assert "no enterprise to cluster" not in run_cli("cluster", url=db_url).output


def test_cluster_spanning_two_districts_takes_the_majority(db_url, conn):
    rng = random.Random(11)
    insert_points(conn, blob(rng, 20, 0, 0, 100), district="顺德区")
    insert_points(conn, blob(rng, 25, 150, 0, 100), district="南海区")
    # a tie elsewhere: the lowest code (no codes: the lowest name) wins
    insert_points(conn, blob(rng, 20, 5000, 0, 100), district="乙区")
    insert_points(conn, blob(rng, 20, 5100, 0, 100), district="甲区")
    res = run_clustering(db_url)
    names = [r[0] for r in conn.execute(
        "SELECT district_name FROM clustering.clusters WHERE run_id = %s ORDER BY label",
        (res.run_id,))]
    assert names == ["南海区", "乙区"]


def test_clusters_without_a_district_are_counted_as_unknown(db_url, conn):
    rng = random.Random(12)
    insert_points(conn, blob(rng, 40, 0, 0, 100), district="顺德区")
    insert_points(conn, blob(rng, 40, 5000, 0, 100), district=None)
    insert_points(conn, blob(rng, 40, 9000, 0, 100), district=None)
    run_clustering(db_url)
    table1 = conn.execute("SELECT district_name, clusters FROM publish.district_sector_stats "
                          "ORDER BY district_name").fetchall()
    assert table1 == [("(unknown)", 2), ("顺德区", 1)]
    tiers = conn.execute("SELECT sum(districts), string_agg(districts_present, ' / ') "
                         "FROM publish.tier_stats").fetchone()
    assert "(unknown)" in tiers[1] and "顺德区" in tiers[1]


def test_runs_are_deterministic(db_url, conn):
    rng = random.Random(3)
    for _ in range(5):
        insert_points(conn, blob(rng, rng.randint(25, 80), rng.uniform(0, 4000),
                                 rng.uniform(0, 4000), 400))
    first = run_clustering(db_url)
    rows = "SELECT enterprise_id, cluster_key, xmin::text FROM publish.enterprises ORDER BY 1"
    published = conn.execute(rows).fetchall()
    conn.commit()
    second = run_clustering(db_url)
    q = ("SELECT c.label, m.enterprise_id, m.is_core FROM clustering.members m JOIN "
         "clustering.clusters c USING (cluster_id) WHERE m.run_id = %s ORDER BY 1, 2")
    assert conn.execute(q, (first.run_id,)).fetchall() == conn.execute(q, (second.run_id,)).fetchall()
    # the published enterprises name their cluster by its persistent key, so the refresh
    # rewrote none of them (same row versions), while the clusters are the new run's
    assert conn.execute(rows).fetchall() == published
    assert sum(k is not None for _, k, _ in published) > 100
    assert conn.execute("SELECT array_agg(DISTINCT run_id) FROM publish.clusters").fetchone()[0] \
        == [second.run_id]


def test_jenks_breaks(conn):
    got = conn.execute("SELECT clustering.jenks3(%s)", ([1, 2, 3, 10, 11, 12, 50, 51, 52],)).fetchone()[0]
    assert got == [10, 50]
    assert conn.execute("SELECT clustering.jenks3(%s)", ([5, 6],)).fetchone()[0] is None
    assert conn.execute("SELECT clustering.jenks3(%s)", ([5, 5, 6, 6],)).fetchone()[0] is None


def _class_sse(cls: list[int]) -> float:
    m = sum(cls) / len(cls) if cls else 0.0
    return sum((x - m) ** 2 for x in cls)


def _sse3(xs: list[int], medium_from: int, core_from: int) -> float:
    """Within-class sum of squares of sizes split at two thresholds."""
    return (_class_sse([x for x in xs if x < medium_from])
            + _class_sse([x for x in xs if medium_from <= x < core_from])
            + _class_sse([x for x in xs if x >= core_from]))


def test_jenks_breaks_are_optimal_with_repeated_sizes(conn):
    """Against an exhaustive search over every split of the sorted sizes, equal sizes
    included on both sides: the breaks reach the least sum of squares, and each class
    is non-empty."""
    rng = random.Random(5)
    for _ in range(30):
        xs = sorted(rng.choice([30, 31, 35, 40, 60, 61, 90, 150, 400, 1200])
                    for _ in range(rng.randint(3, 40)))
        if len(set(xs)) < 3:
            continue
        best = min(_class_sse(xs[:a]) + _class_sse(xs[a:b]) + _class_sse(xs[b:])
                   for a in range(1, len(xs) - 1) for b in range(a + 1, len(xs)))
        got = conn.execute("SELECT clustering.jenks3(%s)", (xs,)).fetchone()[0]
        assert got[0] < got[1] and min(xs) < got[0] and got[1] <= max(xs)
        assert _sse3(xs, *got) == pytest.approx(best, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("method, params, expected", [
    ("absolute", {"core": 100, "medium": 50}, {"core": 1, "medium": 1, "small": 1}),
    ("quantile", {"core": 0.9, "medium": 0.5}, {"core": 1, "medium": 1, "small": 1}),
    ("jenks", {}, {"core": 1, "medium": 1, "small": 1}),
])
def test_tier_methods_are_recorded(db_url, conn, method, params, expected):
    rng = random.Random(4)
    for n, x in ((35, 0), (60, 3000), (150, 6000)):
        insert_points(conn, blob(rng, n, x, 0, 150))
    res = run_clustering(db_url, tier_method=method, tier_params=params)
    tiers = dict(conn.execute("SELECT tier, count(*) FROM clustering.clusters WHERE run_id = %s "
                              "GROUP BY tier", (res.run_id,)).fetchall())
    assert tiers == expected
    recorded = conn.execute("SELECT tier_method, tier_params FROM clustering.runs "
                            "WHERE run_id = %s", (res.run_id,)).fetchone()
    assert recorded[0] == method and recorded[1]["thresholds"]["software"]
    assert recorded[1]["params"] == params


def test_publish_shows_the_latest_succeeded_run_only(db_url, conn):
    rng = random.Random(8)
    insert_points(conn, blob(rng, 50, 0, 0, 150))
    good = run_clustering(db_url)
    # a failure inside compute (simulated by a trigger), after the run's members were
    # attached as its partition, leaves publish as it was
    conn.execute("""CREATE FUNCTION public.boom() RETURNS trigger LANGUAGE plpgsql AS
                    $$ BEGIN RAISE EXCEPTION 'simulated failure'; END $$""")
    conn.execute("CREATE TRIGGER boom BEFORE INSERT ON clustering.lineage "
                 "FOR EACH ROW EXECUTE FUNCTION public.boom()")
    conn.commit()
    insert_points(conn, blob(rng, 50, 4000, 0, 150))
    with pytest.raises(psycopg.Error, match="simulated failure"):
        run_clustering(db_url)
    runs = conn.execute("SELECT run_id, status FROM clustering.runs ORDER BY run_id").fetchall()
    assert [r[1] for r in runs] == ["succeeded", "failed"]
    assert conn.execute("SELECT to_regclass('clustering.' || clustering.members_partition(%s))",
                        (runs[1][0],)).fetchone()[0] is None
    assert conn.execute("SELECT count(*) FROM clustering.members WHERE run_id <> %s",
                        (good.run_id,)).fetchone()[0] == 0
    assert conn.execute("SELECT array_agg(DISTINCT run_id) FROM publish.clusters").fetchone()[0] \
        == [good.run_id]
    assert conn.execute("SELECT count(*) FROM clustering.clusters WHERE run_id <> %s",
                        (good.run_id,)).fetchone()[0] == 0


def test_a_run_without_refresh_is_not_published_until_the_next_refresh(db_url, conn):
    """cluster --no-refresh records a succeeded run but leaves the views as they were:
    the published run (publish.cluster_runs, what exports and the nightly job compare
    with, what prune keeps) stays the one the views show, until refresh publishes the
    latest succeeded run."""
    insert_points(conn, blob(random.Random(8), 50, 0, 0, 150))
    conn.commit()
    assert run_cli("cluster", url=db_url).exit_code == 0
    shown = conn.execute("SELECT clustering.published_run()").fetchone()[0]
    quiet = run_cli("cluster", "--eps", "60", "--min-points", "10", "--no-refresh", url=db_url)
    assert quiet.exit_code == 0, quiet.output
    conn.commit()
    new = conn.execute("SELECT max(run_id) FROM clustering.runs").fetchone()[0]
    assert new > shown

    def published() -> tuple:
        conn.commit()
        return conn.execute(
            "SELECT clustering.published_run(), (SELECT array_agg(DISTINCT run_id) "
            "FROM publish.clusters), (SELECT array_agg(run_id) FROM publish.cluster_runs "
            "WHERE published)").fetchone()

    assert published() == (shown, [shown], [shown])
    assert conn.execute("SELECT clustering.prune_runs(1)").fetchone()[0] == 0  # keeps both
    assert run_cli("refresh", url=db_url).exit_code == 0
    assert published() == (new, [new], [new])


def test_a_refresh_waiting_for_a_run_publishes_that_run(db_url, conn):
    """A refresh that starts while a run's transaction is publishing waits for it, then
    publishes that run, not the one before (it must not write the published run from a
    snapshot taken before the run committed)."""
    insert_points(conn, blob(random.Random(8), 50, 0, 0, 150))
    conn.commit()
    first = run_clustering(db_url).run_id
    second = conn.execute("SELECT clustering.start_run(400, 20)").fetchone()[0]
    conn.commit()
    with psycopg.connect(db_url) as run, psycopg.connect(db_url, autocommit=True) as watch, \
            ThreadPoolExecutor(1) as pool:
        run.execute("SELECT clustering.compute(%s)", (second,))
        run.execute("SELECT clustering.refresh_published()")
        waiting = pool.submit(refresh, db_url)
        try:
            deadline = time.monotonic() + 30
            while not watch.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query LIKE '%refresh_published%'").fetchone()[0]:
                assert time.monotonic() < deadline and not waiting.done(), "it did not wait"
                time.sleep(0.05)
        finally:
            run.commit()
        waiting.result(timeout=60)
    conn.commit()
    assert second > first
    assert conn.execute("SELECT clustering.published_run(), (SELECT array_agg(DISTINCT run_id) "
                        "FROM publish.clusters)").fetchone() == (second, [second])


def filenode(conn, relation: str) -> int:
    conn.commit()  # a fresh snapshot
    return conn.execute("SELECT pg_relation_filenode(%s)", (relation,)).fetchone()[0]


def test_the_first_publication_rebuilds_enterprises_then_runs_merge(db_url, conn):
    """While no cluster is published, a run rebuilds publish.enterprises (a plain
    refresh writes a new file); once clusters are shown, runs merge into it
    concurrently (the same file, changed rows only), so readers are never held."""
    rng = random.Random(9)
    first = insert_points(conn, blob(rng, 40, 0, 0, 150))
    refresh(db_url)
    assert conn.execute("SELECT count(*) FROM publish.enterprises WHERE dbscan_role = 'noise'"
                        ).fetchone()[0] == len(first)
    before = filenode(conn, "publish.enterprises")
    run_clustering(db_url)
    rebuilt = filenode(conn, "publish.enterprises")
    assert rebuilt != before
    second = insert_points(conn, blob(rng, 40, 4000, 0, 150))
    run_clustering(db_url)
    assert filenode(conn, "publish.enterprises") == rebuilt
    roles = dict(conn.execute("SELECT enterprise_id, dbscan_role FROM publish.enterprises"))
    assert {roles[i] for i in first + second} == {"core"}


def test_publish_layers_are_typed_keyed_and_complete(db_url, conn):
    rng = random.Random(6)
    ids = insert_points(conn, blob(rng, 40, 0, 0, 150))
    noise = insert_points(conn, [(9000.0, 9000.0)])
    run_clustering(db_url)
    types = dict(conn.execute(
        "SELECT c.relname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'publish' AND c.relkind = 'm' AND a.attname = 'geom'").fetchall())
    assert types == {"clusters": "geometry(MultiPolygon,4547)",
                     "enterprises": "geometry(Point,4547)",
                     "districts": "geometry(MultiPolygon,4547)"}
    unique = {r[0] for r in conn.execute(
        "SELECT t.relname FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
        "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'publish' "
        "AND i.indisunique")}
    assert unique == {"clusters", "enterprises", "district_sector_stats", "tier_stats",
                      "tier_structure", "districts"}
    roles = dict(conn.execute("SELECT enterprise_id, dbscan_role FROM publish.enterprises"))
    assert roles[noise[0]] == "noise" and {roles[i] for i in ids} == {"core"}


def test_as_of_snapshot(db_url, conn):
    rng = random.Random(12)
    insert_points(conn, blob(rng, 40, 0, 0, 150), established="2019-06-01")
    insert_points(conn, blob(rng, 40, 4000, 0, 150), established="2023-06-01")
    assert run_clustering(db_url, as_of=__import__("datetime").date(2021, 12, 31)).clusters == 1
    assert run_clustering(db_url).clusters == 2


@pytest.mark.parametrize("args, fragment", [
    (["--eps", "0"], "eps must be a positive distance in metres"),
    (["--eps", "-5"], "eps must be a positive distance in metres"),
    (["--eps", "nan"], "eps must be a positive distance in metres, from 0.001 (a millimetre) to 1000000 (1,000 km), not NaN"),
    (["--eps", "inf"], "to 1000000 (1,000 km), not Infinity"),
    (["--eps", "1e-300"], "from 0.001 (a millimetre) to 1000000 (1,000 km), not 1e-300"),
    (["--eps", "0.0009"], "from 0.001 (a millimetre) to 1000000 (1,000 km), not 0.0009"),
    (["--eps", "1000001"], "to 1000000 (1,000 km), not 1000001"),
    (["--eps", "1e308"], "to 1000000 (1,000 km), not 1e+308"),
    (["--min-points", "0"], "min points must be at least 1"),
    (["--sectors", "comms,robots"], "unknown sector robots; sectors are comms, software"),
    (["--tier-core", "100"], "jenks tiers take no thresholds"),
    (["--tiers", "quantile", "--tier-core", "5"],
     "the core threshold of quantile tiers must be a quantile above 0 and at most 1, not 5"),
    (["--tiers", "quantile", "--tier-core", "0.5", "--tier-medium", "0.8"],
     "the core threshold (0.5) must be above the medium one (0.8)"),
    (["--tiers", "quantile", "--tier-medium", "0.95"],
     "the core threshold (0.9) must be above the medium one (0.95)"),
    (["--tiers", "absolute", "--tier-medium", "0"],
     "the medium threshold of absolute tiers must be a cluster size of at least 1, not 0"),
    (["--tiers", "absolute", "--tier-core", "50"],
     "the core threshold (50) must be above the medium one (80)"),
])
def test_bad_parameters_are_one_line(db_url, conn, args, fragment):
    """Refused before the run is recorded: no run row, nothing published."""
    assert_one_line_error(run_cli("cluster", *args, url=db_url), fragment)
    assert conn.execute("SELECT count(*) FROM clustering.runs").fetchone()[0] == 0


@pytest.mark.parametrize("command", ["cluster", "sensitivity", "nightly"])
def test_min_points_beyond_an_integer_is_a_usage_error(tmp_path, db_url, conn, command):
    """min points reach the database as an integer: 99999999999 found no function to
    call ("database error: function clustering.start_run(double precision, bigint, ...)
    does not exist"). Refused as a usage error, as a word for a number is."""
    files = [str(tmp_path / "r.csv")] if command == "nightly" else []
    r = run_cli(command, *files, "--min-points", "20,99999999999" if command == "sensitivity"
                else "99999999999", url=db_url)
    assert_no_traceback(r, exit_codes=(2,))
    assert "99999999999 is" in r.output and "2147483647" in r.output, r.output
    assert conn.execute("SELECT count(*) FROM clustering.runs").fetchone()[0] == 0


def test_eps_from_a_millimetre_to_a_thousand_kilometres(conn):
    """The ends of eps's range are runs (the grid of a millimetre's cells, the hull
    buffered by 100 km), as SQL gives them."""
    insert_points(conn, blob(random.Random(5), 40, 0, 0, 150))
    for eps, clusters in ((0.001, 0), (1e6, 1)):
        run = conn.execute("SELECT clustering.run(%s, 30)", (eps,)).fetchone()[0]
        assert conn.execute("SELECT status, n_clusters FROM clustering.runs WHERE run_id = %s",
                            (run,)).fetchone() == ("succeeded", clusters)
    conn.rollback()


@pytest.mark.parametrize("sectors", ["", ",", " , "])
def test_an_empty_sector_list_is_not_all_sectors(db_url, conn, sectors):
    """--sectors "$SECTORS" with the variable empty is a usage error, not a run of every
    sector; in SQL an empty array is refused (NULL says all)."""
    r = run_cli("cluster", "--sectors", sectors, url=db_url)
    assert r.exit_code == 2 and "names nothing" in r.output, r.output
    assert conn.execute("SELECT count(*) FROM clustering.runs").fetchone()[0] == 0
    with pytest.raises(psycopg.errors.InvalidParameterValue,
                       match="the list of sectors is empty; sectors are comms, software, or NULL"):
        conn.execute("SELECT clustering.run(500, 30, '{}')")
    conn.rollback()


def test_tier_thresholds_in_sql_are_numbers_of_core_and_medium(conn):
    for params, fragment in (('{"core": "200"}', "must be a number"),
                             ('{"big": 200}', "unknown tier threshold big: use core, medium"),
                             ('[200, 80]', "a JSON object")):
        with pytest.raises(psycopg.errors.InvalidParameterValue, match=fragment):
            conn.execute("SELECT clustering.start_run(p_tier_method => 'absolute', "
                         "p_tier_params => %s)", (params,))
        conn.rollback()


def test_absolute_tiers_from_the_command_line(db_url, conn):
    """Click hands the thresholds over as decimals (80.0): sizes all the same, and a
    fractional size rounds up (a cluster of 61 is the first one from 60.5)."""
    rng = random.Random(4)
    for n, x in ((35, 0), (61, 3000), (150, 6000)):
        insert_points(conn, blob(rng, n, x, 0, 150))
    conn.commit()
    r = run_cli("cluster", "--tiers", "absolute", "--tier-core", "100", "--tier-medium", "60.5",
                url=db_url)
    assert r.exit_code == 0, r.output
    assert conn.execute("SELECT tier, n_members FROM clustering.clusters ORDER BY n_members"
                        ).fetchall() == [("small", 35), ("medium", 61), ("core", 150)]
    assert "core >= 100, medium >= 61" in r.output


def test_an_unknown_method_is_refused_in_sql(conn):
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="use auto, points or cells"):
        conn.execute("SELECT clustering.run(p_method => 'grid')")
    conn.rollback()
    assert conn.execute("SELECT count(*) FROM clustering.runs").fetchone()[0] == 0


@pytest.mark.parametrize("method", ["points", "cells"])
def test_a_run_in_psql_sends_no_notices(db_url, conn, method):
    """clustering.run() from a new session (psql's case): its scratch tables are not
    there yet, and dropping them IF EXISTS must not print a NOTICE each."""
    rng = random.Random(5)
    insert_points(conn, blob(rng, 60, 0, 0, 150))
    insert_points(conn, blob(rng, 60, 0, 0, 150), sector="comms")
    run_clustering(db_url)  # a previous run: the lineage has something to trace
    notices = []
    with psycopg.connect(db_url, autocommit=True) as fresh:
        fresh.add_notice_handler(lambda d: notices.append(d.message_primary))
        fresh.execute("SELECT clustering.run(p_method => %s)", (method,))
        fresh.execute("SELECT * FROM clustering.sensitivity(ARRAY[300, 500], ARRAY[30])")
    assert notices == []
    assert conn.execute("SELECT count(*) FROM clustering.runs WHERE status = 'succeeded'") \
        .fetchone()[0] == 2


def test_stats_formats(db_url, conn):
    import csv
    import io
    import json

    rng = random.Random(2)
    insert_points(conn, blob(rng, 45, 0, 0, 150))
    insert_points(conn, blob(rng, 70, 3000, 0, 150), district="南海区")
    assert run_cli("cluster", url=db_url).exit_code == 0
    js = json.loads(run_cli("stats", "--format", "json", url=db_url).output)
    dss = js["district_sector_stats"]
    assert {(r["district_name"], r["clusters"], r["max_enterprises"]) for r in dss} == \
        {("禅城区", 1, 45), ("南海区", 1, 70)}
    assert sum(r["share_of_city_clusters"] for r in dss) == pytest.approx(1.0)
    out = run_cli("stats", "--format", "csv", "--view", "tier_stats", url=db_url).output
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sum(int(r["enterprises"]) for r in rows) == 115
    table = run_cli("stats", url=db_url).output
    assert "publish.district_sector_stats" in table and "南海区" in table


def test_stats_and_export_say_when_nothing_is_published(tmp_path, db_url, conn):
    """Before the first clustering run the tables are empty, which looked like a city
    without clusters: a note on stderr says why, and stdout stays data."""
    import json

    insert_points(conn, blob(random.Random(3), 40, 0, 0, 150))
    r = run_cli("stats", "--format", "json", url=db_url)
    assert r.exit_code == 0 and json.loads(r.stdout)["tier_stats"] == []
    assert r.stderr.strip() == ("Note: no clustering run is published yet, so the cluster "
                                "layers and statistics are empty; run `industry-clusters "
                                "cluster` first")
    r = run_cli("export", str(tmp_path / "early.gpkg"), url=db_url)
    assert r.exit_code == 0 and "no clustering run is published yet" in r.stderr
    assert run_cli("--quiet", "stats", url=db_url).output == run_cli(
        "stats", url=db_url).stdout  # --quiet: the data, no note
    assert run_cli("cluster", url=db_url).exit_code == 0
    r = run_cli("stats", url=db_url)
    assert r.exit_code == 0 and r.stderr == "" and "publish.tier_stats" in r.stdout


def test_stats_tables_come_from_one_run(db_url, conn, monkeypatch):
    """A run published while `stats` reads its tables changes none of them: they are
    read from one snapshot (as an export's layers are)."""
    from industry_clusters import publish

    rng = random.Random(2)
    insert_points(conn, blob(rng, 45, 0, 0, 150))
    insert_points(conn, blob(rng, 70, 3000, 0, 150), district="南海区")
    run_clustering(db_url)
    before = publish.fetch_stats(db_url)
    real, published = publish.read_view, []

    def then_a_run_is_published(c, view, run=None):
        out = real(c, view, run)
        if not published:  # min points 50: the 45-enterprise cluster goes
            published.append(run_clustering(db_url, min_points=50))
        return out

    monkeypatch.setattr(publish, "read_view", then_a_run_is_published)
    during = publish.fetch_stats(db_url)
    monkeypatch.setattr(publish, "read_view", real)
    assert published and during == before
    assert publish.fetch_stats(db_url) != before


@pytest.mark.parametrize("method", ["points", "cells"])
@pytest.mark.parametrize("eps, min_points", [(120, 12), (200, 40)])
def test_core_flags_in_every_grid_case(db_url, conn, eps, min_points, method):
    """Dense cores (decided by the grid's lower bound), sparse fringes (its upper bound)
    and the points in between (decided by their sub-cell's bound, or counted exactly
    over their ring cells), two sectors on top of each other: the core set is
    scikit-learn's."""
    from sklearn.cluster import DBSCAN

    rng = random.Random(eps)
    for sector in ("software", "comms"):
        pts = []
        for cx in (0, 1500, 3000):
            pts += blob(rng, 300, cx, 0, 60)          # dense: lower bound
            pts += blob(rng, 80, cx, 0, 400)          # a fringe around it
        pts += [(rng.uniform(-1000, 4000), rng.uniform(-1500, 1500)) for _ in range(300)]
        insert_points(conn, pts, sector=sector)
    res = run_clustering(db_url, eps=eps, min_points=min_points, method=method)
    # every sector had points the cell bounds could not decide, some decided by their
    # sub-cell's bound, some counted one by one
    assert all(p["undecided"] > p["counted"] > 0 for p in res.timings["parts"]), \
        res.timings["parts"]
    got = members(conn, res.run_id)
    for sector in ("software", "comms"):
        ids, xy = projected_xy(conn, sector)
        sk = DBSCAN(eps=eps, min_samples=min_points).fit(xy)
        assert {e for e in ids if got.get(e, (None, False))[1]} == \
            {ids[i] for i in sk.core_sample_indices_}
        assert {e for e in ids if e not in got} == \
            {ids[i] for i in np.flatnonzero(sk.labels_ == -1)}


def no_work_rows(conn) -> bool:
    """The work tables of running runs (clustering.clear_work's) are empty."""
    return conn.execute("SELECT (SELECT count(*) FROM clustering.run_labels) + "
                        "(SELECT count(*) FROM clustering.run_clusters) + "
                        "(SELECT count(*) FROM clustering.run_parts)").fetchone()[0] == 0


def labelled(conn, run_id: int) -> list[tuple]:
    return conn.execute(
        "SELECT c.sector_id, c.label, m.enterprise_id, m.is_core, c.n_members, c.n_core, "
        "ST_AsBinary(c.hull) FROM clustering.members m JOIN clustering.clusters c "
        "USING (cluster_id) WHERE m.run_id = %s ORDER BY 1, 2, 3", (run_id,)).fetchall()


def two_sector_town(conn, seed: int) -> None:
    """Both sectors: dense blobs 1.2 km apart (their cores never within eps of each other),
    points half-way between two blobs that are within eps of both (the cluster they join
    depends on DBSCAN's order), and background noise."""
    rng = random.Random(seed)
    for sector in ("software", "comms"):
        for k in range(4):
            insert_points(conn, blob(rng, rng.randint(40, 70), k * 1200, 0, 150), sector=sector)
            if k:
                insert_points(conn, blob(rng, 5, k * 1200 - 600, 0, 40), sector=sector)
        insert_points(conn, [(rng.uniform(-1000, 4600), rng.uniform(-1500, 1500))
                             for _ in range(150)], sector=sector)


def bare_groups(conn) -> list[tuple]:
    """The clusters of the bare ST_ClusterDBSCAN query over the active enterprises, each
    as its sorted members."""
    return conn.execute(
        "SELECT array_agg(enterprise_id ORDER BY enterprise_id) FROM (SELECT enterprise_id, "
        "sector_id, ST_ClusterDBSCAN(geom_proj, 500, 30) OVER (PARTITION BY sector_id "
        "ORDER BY enterprise_id) AS cid FROM registry.enterprises WHERE active) x "
        "WHERE cid IS NOT NULL GROUP BY sector_id, cid ORDER BY 1").fetchall()


def run_groups(conn, run_id: int) -> list[tuple]:
    """A run's clusters, each as its sorted members."""
    return conn.execute(
        "SELECT array_agg(enterprise_id ORDER BY enterprise_id) FROM clustering.members "
        "WHERE run_id = %s GROUP BY cluster_id ORDER BY 1", (run_id,)).fetchall()


@pytest.mark.parametrize("method", ["points", "cells"])
def test_shares_of_connected_parts_give_the_single_query_result(db_url, conn, method):
    """Each sector is four towns 4 km apart (two_sector_town's, without its noise), so
    it has four connected parts; split into three shares of parts, a sector's towns are
    labelled apart, and every label, core flag, hull and cluster is the single
    query's."""
    rng = random.Random(31)
    for sector in ("software", "comms"):
        for town in range(4):
            x0, y0 = town * 6000, (town % 2) * 4000
            for k in range(3):
                insert_points(conn, blob(rng, rng.randint(40, 70), x0 + k * 1200, y0, 150),
                              sector=sector)
                if k:
                    insert_points(conn, blob(rng, 5, x0 + k * 1200 - 600, y0, 40),
                                  sector=sector)
    conn.commit()
    alone = run_clustering(db_url, jobs=1, method=method)
    run = conn.execute("SELECT clustering.start_run(p_method => %s)", (method,)).fetchone()[0]
    conn.commit()
    for share in (2, 0, 1):  # parts from 0 points: the threshold of runs is 200,000
        conn.execute("SELECT clustering.label_share(%s, %s, 3, 0)", (run, share))
        conn.commit()
    conn.execute("SELECT clustering.compute(%s)", (run,))
    conn.commit()
    shares, points, methods = conn.execute(
        "SELECT jsonb_path_query_array(timings, '$.parts[*].sectors'), "
        "jsonb_path_query_array(timings, '$.parts[*].points'), "
        "jsonb_path_query_array(timings, '$.parts[*].method') "
        "FROM clustering.runs WHERE run_id = %s", (run,)).fetchone()
    assert methods == [method] * 3
    ids = dict(conn.execute("SELECT code, sector_id FROM registry.sectors").fetchall())
    # eight parts in three shares: both sectors are split between shares, and the
    # shares' sizes differ by less than a town (the largest first, to the smallest share)
    assert len(shares) == 3 and all(
        sum(ids[s] in share for share in shares) >= 2 for s in ("software", "comms")), shares
    towns = conn.execute("SELECT count(*) FROM registry.enterprises GROUP BY sector_id, "
                         "floor((ST_X(geom_proj) - %s + 1000) / 6000), "
                         "floor((ST_Y(geom_proj) - %s + 1000) / 4000) ORDER BY 1 DESC",
                         (X0, Y0)).fetchall()
    assert len(towns) == 8 and max(points) - min(points) <= towns[0][0], (points, towns)
    assert labelled(conn, run) == labelled(conn, alone.run_id)
    groups = run_groups(conn, run)
    assert groups == bare_groups(conn) and len(groups) == 24


def test_a_share_is_labelled_once_and_every_share_alike(conn):
    """clustering.label_share refuses a share outside the split, one already labelled,
    and a split into another number of shares than the run's first share was."""
    insert_points(conn, blob(random.Random(4), 40, 0, 0, 150))
    run = conn.execute("SELECT clustering.start_run()").fetchone()[0]
    conn.execute("SELECT clustering.label_share(%s, 0, 2)", (run,))
    for share, shares in [(0, 2), (2, 2), (-1, 2), (1, 3), (0, 0)]:
        with pytest.raises(psycopg.errors.RaiseException,
                           match=f"share {share} of {shares} is not a share of run {run} "
                                 "left to label"):
            with conn.transaction():
                conn.execute("SELECT clustering.label_share(%s, %s, %s)", (run, share, shares))
    with pytest.raises(psycopg.errors.RaiseException,
                       match=f"run {run} is split into shares from 200000 points, not from 0"):
        with conn.transaction():
            conn.execute("SELECT clustering.label_share(%s, 1, 2, 0)", (run,))
    conn.execute("SELECT clustering.label_share(%s, 1, 2)", (run,))
    out = conn.execute("SELECT clustering.compute(%s)", (run,)).fetchone()[0]
    assert (out["points"], out["clusters"]) == (40, 1)
    conn.rollback()


def test_compute_labels_the_shares_left_split_as_the_others(conn):
    """Shares labelled from SQL split from 0 points: compute labels the one left from 0
    points too (with label_share's default, 200,000, that share was the whole of
    software and comms, labelled twice over)."""
    rng = random.Random(6)
    for sector in ("software", "comms"):
        for town in range(3):
            insert_points(conn, blob(rng, 40, town * 5000, 0, 150), sector=sector)
    run = conn.execute("SELECT clustering.start_run()").fetchone()[0]
    conn.execute("SELECT clustering.label_share(%s, 0, 2, 0)", (run,))
    out = conn.execute("SELECT clustering.compute(%s)", (run,)).fetchone()[0]
    assert (out["points"], out["clusters"]) == (240, 6)
    assert conn.execute("SELECT count(*), count(DISTINCT enterprise_id) FROM clustering.members "
                        "WHERE run_id = %s", (run,)).fetchone() == (240, 240)
    conn.rollback()


def test_sectors_on_two_connections_give_the_single_query_result(db_url, conn):
    two_sector_town(conn, 21)
    both = run_clustering(db_url, jobs=2)
    alone = run_clustering(db_url, jobs=1)
    cells = run_clustering(db_url, jobs=2, method="cells")
    conn.execute("SELECT clustering.run(p_method => 'cells')")  # psql's way: one transaction
    conn.commit()
    in_sql = conn.execute("SELECT max(run_id) FROM clustering.runs").fetchone()[0]
    parts = conn.execute("SELECT run_id, method, jsonb_path_query_array(timings, '$.parts[*].method') "
                         "FROM clustering.runs ORDER BY run_id").fetchall()
    assert parts == [(both.run_id, "auto", ["points", "points"]),
                     (alone.run_id, "auto", ["points"]),
                     (cells.run_id, "cells", ["cells", "cells"]), (in_sql, "cells", ["cells"])]
    assert labelled(conn, both.run_id) == labelled(conn, alone.run_id) == \
        labelled(conn, cells.run_id) == labelled(conn, in_sql)
    assert both.points == alone.points == conn.execute(
        "SELECT count(*) FROM registry.enterprises WHERE active").fetchone()[0]
    # and the clustered points are grouped exactly as by the one bare query, border
    # points included
    bare = bare_groups(conn)
    for run in (both.run_id, cells.run_id):
        assert run_groups(conn, run) == bare and len(bare) >= 6
    # and some of those border points could have joined either of two clusters
    contested = conn.execute(
        "SELECT count(*) FROM clustering.members b WHERE b.run_id = %(r)s AND NOT b.is_core "
        "AND (SELECT count(DISTINCT c.cluster_id) FROM clustering.members c "
        "     JOIN registry.enterprises ec USING (enterprise_id), registry.enterprises eb "
        "     WHERE c.run_id = %(r)s AND c.is_core AND eb.enterprise_id = b.enterprise_id "
        "       AND ec.sector_id = eb.sector_id AND ST_DWithin(ec.geom_proj, eb.geom_proj, 500)"
        "    ) > 1", {"r": both.run_id}).fetchone()[0]
    assert contested >= 10
    assert no_work_rows(conn)


def wait_until_it_waits(conn, run) -> None:
    """Until the run (a future) waits for its lock on registry.enterprises."""
    deadline = time.monotonic() + 30
    while not conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type "
                           "= 'Lock' AND query LIKE '%%hold_enterprises%%'").fetchone()[0]:
        conn.rollback()
        assert not run.done() and time.monotonic() < deadline, "the run did not wait"
        time.sleep(0.05)
    conn.rollback()


def test_a_run_waiting_on_another_lock_names_its_holder(db_url, conn):
    """A run that found registry.enterprises held said it waited for "a load that is
    writing the registry" whatever held it: an ANALYZE, a VACUUM, autovacuum after a
    big load (no load at all). It names the load only for a load's lock; another
    holder by its backend pid and client, and autovacuum not at all (it gives way)."""
    two_sector_town(conn, 5)
    conn.commit()
    with ThreadPoolExecutor(1) as pool, \
            psycopg.connect(db_url, application_name="psql") as other:
        other.execute("LOCK TABLE registry.enterprises IN SHARE UPDATE EXCLUSIVE MODE")
        pid = other.execute("SELECT pg_backend_pid()").fetchone()[0]
        heard: list[str] = []
        run = pool.submit(run_clustering, db_url, notify=heard.append)
        wait_until_it_waits(conn, run)
        assert heard == [f"waiting for backend pid {pid} (psql) to finish: it holds "
                         "registry.enterprises (ShareUpdateExclusiveLock) ..."]
        other.commit()
        assert run.result(timeout=120).clusters > 0


def test_a_run_sees_one_state_of_the_registry(db_url, conn):
    """A run waits for a load that is writing, then clusters what it committed: it holds
    a SHARE lock on registry.enterprises to its end, so no load commits in its middle
    (helpers and the run's own statements would otherwise read two registries)."""
    two_sector_town(conn, 5)
    conn.commit()
    before = conn.execute("SELECT count(*) FROM registry.enterprises WHERE active").fetchone()[0]
    conn.rollback()
    # (the connection is closed first on a failure here: its lock would hold the run)
    with ThreadPoolExecutor(1) as pool, psycopg.connect(db_url) as load:
        load.execute("UPDATE registry.enterprises SET active = false, inactive_reason = 'missing' "
                     "WHERE enterprise_id IN "
                     "(SELECT enterprise_id FROM registry.enterprises ORDER BY 1 LIMIT 50)")
        heard: list[str] = []
        run = pool.submit(run_clustering, db_url, jobs=2, notify=heard.append)
        wait_until_it_waits(conn, run)
        assert heard == ["waiting for a load that is writing the registry to finish (it "
                         "holds registry.enterprises) ..."]
        load.commit()
        res = run.result(timeout=120)
    active = conn.execute("SELECT count(*) FROM registry.enterprises WHERE active").fetchone()[0]
    assert res.points == active == before - 50  # the committed deactivations, all of them
    # psql's way holds it too, until the transaction ends
    conn.execute("SELECT clustering.run()")
    held = conn.execute("SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() AND granted "
                        "AND relation = 'registry.enterprises'::regclass").fetchall()
    conn.rollback()
    assert ("ShareLock",) in held


def test_a_failed_run_stops_a_helper_that_was_between_statements(db_url):
    """When a share fails, the other connections are cancelled until their threads end:
    a helper between two statements at the first cancel (here: in Python, before its
    query) starts its query after it, and a single cancel left it running to the end."""
    from industry_clusters.cluster import _cancel_until_done

    with psycopg.connect(db_url, autocommit=True) as helper, ThreadPoolExecutor(1) as pool:
        def share():
            time.sleep(0.3)
            helper.execute("SELECT pg_sleep(60)")

        future = pool.submit(share)
        t = time.monotonic()
        _cancel_until_done([helper], [future])
        assert time.monotonic() - t < 10
        with pytest.raises(psycopg.errors.QueryCanceled):
            future.result()


def test_a_helper_that_cannot_connect_only_slows_the_run(db_url, conn, monkeypatch):
    """No connection slot for a helper (here: a real connection attempt to a port where
    no server listens) slows the run down; it neither fails it nor changes a label."""
    from industry_clusters import cluster
    from industry_clusters.db import job_connection

    two_sector_town(conn, 23)
    alone = run_clustering(db_url, jobs=1)
    opened = []

    def second_fails(target):
        if opened:
            return job_connection("postgresql://postgres@127.0.0.1:9/nowhere?connect_timeout=2")
        opened.append(target)
        return job_connection(target)

    monkeypatch.setattr(cluster, "job_connection", second_fails)
    helped = run_clustering(db_url, jobs=3)  # two helpers asked for, one connects
    monkeypatch.setattr(cluster, "job_connection",
                        lambda t: job_connection("postgresql://postgres@127.0.0.1:9/nowhere"))
    unhelped = run_clustering(db_url, jobs=2)
    parts = dict(conn.execute("SELECT run_id, jsonb_array_length(timings->'parts') FROM "
                              "clustering.runs").fetchall())
    # two shares: the helper's and the run's connection's; then one, the run's
    assert (parts[helped.run_id], parts[unhelped.run_id]) == (2, 1)
    assert labelled(conn, helped.run_id) == labelled(conn, unhelped.run_id) \
        == labelled(conn, alone.run_id)
    assert conn.execute("SELECT count(*) FROM clustering.runs WHERE status <> 'succeeded'"
                        ).fetchone()[0] == 0


def test_a_failing_connection_fails_the_run_and_leaves_no_work(db_url, conn):
    two_sector_town(conn, 22)
    good = run_clustering(db_url)
    # the comms sector's connection fails after the software one may have committed
    conn.execute("""CREATE FUNCTION public.boom() RETURNS trigger LANGUAGE plpgsql AS
                    $$ BEGIN IF (SELECT sector_id FROM registry.enterprises
                                 WHERE enterprise_id = NEW.enterprise_id) = 1 THEN
                       PERFORM pg_sleep(0.5);
                       RAISE EXCEPTION 'simulated failure'; END IF; RETURN NEW; END $$""")
    conn.execute("CREATE TRIGGER boom BEFORE INSERT ON clustering.run_labels "
                 "FOR EACH ROW EXECUTE FUNCTION public.boom()")
    conn.commit()
    with pytest.raises(psycopg.Error, match="simulated failure"):
        run_clustering(db_url, jobs=2)
    status = conn.execute("SELECT status, error FROM clustering.runs ORDER BY run_id").fetchall()
    assert [s for s, _ in status] == ["succeeded", "failed"]
    assert "simulated failure" in status[1][1]
    assert conn.execute("SELECT array_agg(DISTINCT run_id) FROM publish.clusters").fetchone()[0] \
        == [good.run_id]
    assert no_work_rows(conn)


def test_members_must_name_a_cluster_of_their_run(db_url, conn):
    """The key of a run's partition: a member pointing at another run's cluster, or at
    no cluster, is refused, whether inserted or updated; a cluster's members go with it."""
    insert_points(conn, blob(random.Random(8), 40, 0, 0, 150))
    conn.commit()
    a, b = run_clustering(db_url).run_id, run_clustering(db_url).run_id
    other = conn.execute("SELECT min(cluster_id) FROM clustering.clusters WHERE run_id = %s",
                         (b,)).fetchone()[0]
    some = conn.execute("SELECT min(enterprise_id) FROM registry.enterprises").fetchone()[0]
    for stmt, args in [
        ("UPDATE clustering.members SET cluster_id = %s WHERE run_id = %s", (other, a)),
        ("INSERT INTO clustering.members VALUES (%s, %s, -1, true)", (a, some + 10**9)),
    ]:
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match="members_cluster_fkey"):
            conn.execute(stmt, args)
        conn.rollback()
    conn.execute("DELETE FROM clustering.clusters WHERE run_id = %s", (a,))
    assert conn.execute("SELECT count(*) FROM clustering.members WHERE run_id = %s",
                        (a,)).fetchone()[0] == 0
    conn.rollback()


def test_attach_checks_the_partition_of_a_run(db_url, conn):
    """A run's members table holds rows of that run only (its CHECK refuses others as
    they are written), each naming a cluster of that run (checked when attached)."""
    insert_points(conn, blob(random.Random(8), 40, 0, 0, 150))
    conn.commit()
    a = run_clustering(db_url).run_id
    cluster = conn.execute("SELECT min(cluster_id) FROM clustering.clusters WHERE run_id = %s",
                           (a,)).fetchone()[0]
    some = conn.execute("SELECT min(enterprise_id) FROM registry.enterprises").fetchone()[0]
    new_run = ("INSERT INTO clustering.runs (eps_m, min_points, srid, sector_ids, tier_method) "
               "VALUES (500, 30, 4547, '{1}', 'jenks') RETURNING run_id")
    for bad_row, error in [(lambda b: (b, some, cluster), psycopg.errors.ForeignKeyViolation),
                           (lambda b: (a, some, cluster), psycopg.errors.CheckViolation)]:
        b = conn.execute(new_run).fetchone()[0]  # a's cluster in b; a row of another run
        table = conn.execute("SELECT clustering.begin_members(%s)::text", (b,)).fetchone()[0]
        with pytest.raises(error):
            conn.execute(f"INSERT INTO {table} VALUES (%s, %s, %s, true)", bad_row(b))
            conn.execute("SELECT clustering.attach_members(%s)", (b,))
        conn.rollback()
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="does not exist"):
        conn.execute("SELECT clustering.begin_members(%s)", (b + 1000,))  # no such run yet


def test_old_members_table_is_converted_to_partitions(db_url, conn):
    """A database of the layout before revision 0033 (one table of every run's members)
    gets one partition per run, same rows, the key checked, the old table gone."""
    from industry_clusters.db import run_sql_file

    insert_points(conn, blob(random.Random(8), 40, 0, 0, 150))
    insert_points(conn, blob(random.Random(9), 40, 3000, 0, 150))
    conn.commit()
    runs = [run_clustering(db_url).run_id for _ in range(2)]
    before = {r: members(conn, r) for r in runs}
    conn.execute("CREATE TABLE clustering.old_members AS SELECT * FROM clustering.members")
    conn.execute("DROP TABLE clustering.members")
    conn.execute("ALTER TABLE clustering.old_members RENAME TO members")
    conn.execute("ALTER TABLE clustering.members ADD PRIMARY KEY (run_id, enterprise_id)")
    conn.execute("CREATE INDEX members_cluster_idx ON clustering.members (cluster_id)")
    conn.commit()
    assert conn.execute("SELECT relkind FROM pg_class WHERE oid = 'clustering.members'::regclass"
                        ).fetchone()[0] == "r"
    run_sql_file(conn, "schema/030_clustering.sql", srid=4547)
    conn.commit()
    assert conn.execute("SELECT relkind FROM pg_class WHERE oid = 'clustering.members'::regclass"
                        ).fetchone()[0] == "p"
    assert {r: members(conn, r) for r in runs} == before
    assert conn.execute("SELECT to_regclass('clustering.members_unpartitioned')").fetchone()[0] \
        is None
    assert conn.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = "
                        "'clustering.members'::regclass").fetchone()[0] == 2
    run_sql_file(conn, "schema/030_clustering.sql", srid=4547)  # re-runnable
    conn.commit()
    assert {r: members(conn, r) for r in runs} == before
    assert run_clustering(db_url).run_id > runs[-1]  # and runs go on


def survey_town(conn, seed: int) -> None:
    """Two clusters of mixed size classes, digital flags (some unknown) and capital (some
    missing), in both sectors, plus noise."""
    rng = random.Random(seed)
    sizes = ["micro", "small", "medium", "large", None]
    for cx, sector in ((0, "software"), (4000, "software"), (0, "comms")):
        for x, y in blob(rng, rng.randint(40, 90), cx, 0, 200):
            [e] = insert_points(conn, [(x, y)], sector=sector)
            conn.execute("UPDATE registry.enterprises SET size_class = %s, "
                         "digital_transformation = %s, capital_cny = %s WHERE enterprise_id = %s",
                         (rng.choice(sizes), rng.choice([True, False, None]),
                          rng.choice([None, rng.randint(1, 10**8)]), e))
    insert_points(conn, [(rng.uniform(-9000, -6000), rng.uniform(0, 3000)) for _ in range(20)])
    conn.commit()


def expected_tier_structure(conn, run_id: int) -> dict[tuple, tuple]:
    """(tier, size_class) -> the survey's figures, counted in Python from the members and
    the registry as it is now."""
    rows = conn.execute(
        "SELECT c.tier, coalesce(e.size_class, 'unknown'), e.digital_transformation, "
        "e.capital_cny FROM clustering.members m JOIN clustering.clusters c USING (cluster_id) "
        "JOIN registry.enterprises e USING (enterprise_id) WHERE m.run_id = %s",
        (run_id,)).fetchall()
    from decimal import ROUND_HALF_UP, Decimal

    def rnd(x, places):
        return None if x is None else Decimal(x).quantize(Decimal(1).scaleb(-places),
                                                          rounding=ROUND_HALF_UP)

    out = {}
    for tier in {r[0] for r in rows}:
        in_tier = [r for r in rows if r[0] == tier]
        small = sum(r[1] in ("micro", "small") for r in in_tier)
        for size in {r[1] for r in in_tier}:
            these = [r for r in in_tier if r[1] == size]
            flags = [r[2] for r in these if r[2] is not None]
            capital = [r[3] for r in these if r[3] is not None]
            out[tier, size] = (
                len(these), rnd(Decimal(len(these)) / len(in_tier), 4),
                rnd(Decimal(small) / len(in_tier), 4),
                rnd(Decimal(sum(flags)) / len(flags), 4) if flags else None,
                rnd(sum(capital) / len(capital), 0) if capital else None)
    return out


def tier_structure(conn, source: str) -> dict[tuple, tuple]:
    return {(t, s): tuple(rest) for t, s, *rest in conn.execute(
        f"SELECT tier, size_class, enterprises, share_of_tier, micro_small_share_of_tier, "
        f"digital_coverage, mean_capital_cny FROM {source}")}


@pytest.mark.parametrize("method", ["points", "cells"])
def test_tier_structure_counts_the_survey_figures_of_the_run(db_url, conn, method):
    survey_town(conn, 11)
    res = run_clustering(db_url, eps=300, min_points=5, method=method)
    expected = expected_tier_structure(conn, res.run_id)
    assert len({t for t, _ in expected}) >= 2 and any(s == "unknown" for _, s in expected)
    assert tier_structure(conn, "publish.tier_structure") == expected
    keys = conn.execute("SELECT stat_id, tier, size_class FROM publish.tier_structure "
                        "ORDER BY stat_id").fetchall()
    assert [k[0] for k in keys] == list(range(1, len(keys) + 1))


def test_a_runs_tier_structure_stays_as_it_ran(db_url, conn):
    """The survey's figures of a run are those of the registry it clustered: a load that
    changes capital, size class or flags afterwards changes the next run's, not its."""
    survey_town(conn, 12)
    first = run_clustering(db_url, eps=300, min_points=5)
    before = tier_structure(conn, "publish.tier_structure")
    assert before == expected_tier_structure(conn, first.run_id)
    conn.execute("UPDATE registry.enterprises SET size_class = 'large', capital_cny = 7, "
                 "digital_transformation = true")
    conn.commit()
    refresh(db_url)
    assert tier_structure(conn, "publish.tier_structure") == before
    assert tier_structure(conn, f"publish.tier_structure_of({first.run_id})") == before
    second = run_clustering(db_url, eps=300, min_points=5)
    now = tier_structure(conn, "publish.tier_structure")
    assert now == expected_tier_structure(conn, second.run_id) != before
    assert {s for _, s in now} == {"large"}
    assert {v[3:] for v in now.values()} == {(1, 7)}


def test_runs_before_profiles_get_them_from_the_registry(db_url, conn):
    """Clusters of runs made before revision 0060 (no profiles) get them when the
    backfill runs, from the registry as it is; it is re-runnable and leaves others be."""
    from industry_clusters.db import run_sql_file

    survey_town(conn, 13)
    old, kept = (run_clustering(db_url, eps=300, min_points=5).run_id for _ in range(2))
    profiles = ("SELECT p.* FROM clustering.cluster_profiles p JOIN clustering.clusters c "
                "USING (cluster_id) WHERE c.run_id = %s ORDER BY 1, 2")
    kept_rows = conn.execute(profiles, (kept,)).fetchall()
    conn.execute("DELETE FROM clustering.cluster_profiles p USING clustering.clusters c "
                 "WHERE c.cluster_id = p.cluster_id AND c.run_id = %s", (old,))
    conn.execute("UPDATE registry.enterprises SET capital_cny = capital_cny + 1")
    conn.commit()
    assert conn.execute(profiles, (old,)).fetchall() == []
    for _ in range(2):
        run_sql_file(conn, "cluster/060_profiles_backfill.sql")
        conn.commit()
    assert tier_structure(conn, f"publish.tier_structure_of({old})") \
        == expected_tier_structure(conn, old)
    assert conn.execute(profiles, (kept,)).fetchall() == kept_rows


def test_auto_labels_by_cells_only_where_the_points_are_dense(db_url, conn):
    """auto: cells for 200,000 points or more when at least half of them lie in grid
    cells holding min points or more (clustering.auto_method); points otherwise."""
    def rule(n, dense):
        return conn.execute("SELECT clustering.auto_method(%s, %s)", (n, dense)).fetchone()[0]

    assert [rule(250_000, 125_000), rule(250_000, 124_999), rule(199_999, 199_999)] == \
        ["cells", "points", "points"]
    # 200,000 points in 2 km x 2 km (dense), then the same points over 400 km x 400 km
    conn.execute(
        "INSERT INTO registry.enterprises (credit_code, name, status, sector_id, source_crs,"
        " source_x, source_y, geom, first_load_run_id, last_load_run_id)"
        " SELECT 'D' || lpad(i::text, 17, '0'), 'firm', '存续', 2, 'wgs84', 0, 0,"
        " ST_Transform(ST_SetSRID(ST_MakePoint(%s + (i %% 1000) * 2.0, %s + (i / 1000) * 10.0),"
        " 4547), 4326), 0, 0 FROM generate_series(0, 199999) i", (X0, Y0))
    conn.commit()
    dense = run_clustering(db_url, sectors=["software"], refresh=False)
    conn.execute("UPDATE registry.enterprises SET geom = ST_Transform(ST_SetSRID(ST_MakePoint("
                 "%(x)s + (ST_X(geom_proj) - %(x)s) * 200, %(y)s + (ST_Y(geom_proj) - %(y)s) * 200),"
                 " 4547), 4326)", {"x": X0, "y": Y0})
    conn.commit()
    spread = run_clustering(db_url, sectors=["software"], refresh=False)
    # dense: one connected part, all in the first share; spread: 200 rows 2 km apart,
    # in two shares of 100,000 points, too few to count the dense ones
    parts = [[(p["points"], p["method"], p.get("dense_points")) for p in r.timings["parts"]]
             for r in (dense, spread)]
    assert parts == [[(200_000, "cells", 200_000), (0, "points", None)],
                     [(100_000, "points", None), (100_000, "points", None)]]
    assert (dense.clusters, spread.clusters) == (1, 0)
