"""The eps / min points sweep and the k-distance curve, checked against clustering runs
and a brute-force computation."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import psycopg
from points import blob, insert_points

import industry_clusters.sensitivity as sensitivity_module
from helpers import assert_one_line_error, run_cli
from industry_clusters.cluster import run_clustering
from industry_clusters.sensitivity import sensitivity


def _layout(conn) -> None:
    rng = random.Random(21)
    for n, x, r in ((60, 0, 80), (35, 2000, 120), (25, 4000, 60), (80, 6000, 200)):
        insert_points(conn, blob(rng, n, x, 0, r))
    insert_points(conn, blob(rng, 40, 0, 3000, 100), sector="comms")
    insert_points(conn, [(rng.uniform(-5000, 9000), rng.uniform(-3000, 5000))
                         for _ in range(100)])


def test_sweep_agrees_with_clustering_runs(db_url, conn):
    _layout(conn)
    eps, mins = [60.0, 120.0, 250.0], [10, 30]
    sweep = sensitivity(db_url, eps, mins, k_distance=False)["sensitivity"]
    cols, rows = sweep
    got = {(r[0], r[1], r[2]): dict(zip(cols, r, strict=True)) for r in rows}
    assert len(got) == 2 * len(eps) * len(mins)
    for e in eps:
        for m in mins:
            run = run_clustering(db_url, eps=e, min_points=m, refresh=False).run_id
            per_sector = dict(((s, (n, c)) for s, n, c in conn.execute(
                "SELECT s.code, count(*), count(DISTINCT m.cluster_id) FROM clustering.members m "
                "JOIN clustering.clusters c USING (cluster_id) JOIN registry.sectors s "
                "USING (sector_id) WHERE m.run_id = %s GROUP BY 1", (run,))))
            for sector in ("comms", "software"):
                row = got[(sector, e, m)]
                assert (row["clustered"], row["clusters"]) == per_sector.get(sector, (0, 0))
    # more eps never clusters fewer enterprises (same min points)
    for sector in ("comms", "software"):
        for m in mins:
            shares = [got[(sector, e, m)]["clustered"] for e in eps]
            assert shares == sorted(shares)
    # from psql, a value given twice is swept once, in the order first given
    assert conn.execute("SELECT eps_m, min_points FROM clustering.sensitivity("
                        "ARRAY[250, 60, 250.0], ARRAY[30, 10, 30], ARRAY['comms'])"
                        ).fetchall() == [(250.0, 30), (250.0, 10), (60.0, 30), (60.0, 10)]


def test_k_distance_matches_brute_force(db_url, conn):
    _layout(conn)
    res = sensitivity(db_url, [100.0], [5, 20], sectors=["software"], samples=10)
    xy = np.array(conn.execute(
        "SELECT ST_X(geom_proj), ST_Y(geom_proj) FROM registry.enterprises e JOIN "
        "registry.sectors s USING (sector_id) WHERE s.code = 'software' AND active"
    ).fetchall())
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    d.sort(axis=1)  # column 0 is the point itself (distance 0)
    cols, rows = res["k_distance"]
    assert {r[0] for r in rows} == {"software"} and len(rows) == 2 * 11
    for _sector, k, rank, dist in rows:
        kd = np.sort(d[:, k - 1])
        i = max(math.ceil(float(rank) * len(kd)) - 1, 0)  # percentile_disc
        assert abs(dist - kd[i]) < 1e-6, (k, rank, dist, kd[i])


def test_k_distance_searches_each_points_neighbours_once(conn):
    """One nearest-neighbour search per point serves every k. The search sat in a CTE
    that PostgreSQL inlined under the join with the k's, so it ran once per k: three
    times the work (47 s against 15 s at the demo's size) for min points 20, 30, 40."""
    _layout(conn)
    assert len(conn.execute("SELECT * FROM clustering.k_distance(ARRAY[5, 10, 20])"
                            ).fetchall()) == 2 * 3 * 101
    # the scratch table of the points lives until the transaction ends; each search is
    # one scan of its index (this transaction's statistics)
    points, searches = conn.execute(
        "SELECT (SELECT count(*) FROM pg_temp.sweep_points), idx_scan "
        "FROM pg_stat_xact_user_tables WHERE relname = 'sweep_points'").fetchone()
    conn.rollback()
    assert points == 340 and searches == points


def test_sensitivity_command(tmp_path, db_url, conn):
    _layout(conn)
    png = tmp_path / "s.png"
    # a value given twice is swept once (it was swept, and listed, twice)
    r = run_cli("sensitivity", "--eps", "80,150,80.0", "--min-points", "10,20,10",
                "--sectors", "software,comms,software", "--png", str(png), "--format", "json",
                url=db_url)
    assert r.exit_code == 0, r.output
    data = json.loads(r.output.split("\n" + str(png))[0])
    assert len(data["sensitivity"]) == 8 and len(data["k_distance"]) == 2 * 2 * 101
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the text table shows distances to 6 decimals; CSV keeps every digit
    distances = [r["distance_m"] for r in data["k_distance"]
                 if r["sector"] == "software" and r["k"] == 10]
    assert any(len(repr(d).split(".")[1]) > 6 for d in distances)  # else this proves nothing
    args = ("sensitivity", "--eps", "80", "--min-points", "10", "--sectors", "software")
    table = run_cli(*args, url=db_url).output.split("clustering.k_distance\n")[1]
    shown = [line.split()[-1] for line in table.splitlines()[2:]]
    assert [float(d) for d in shown] == [round(d, 6) for d in distances]
    assert all(len(d.split(".")[1]) <= 6 for d in shown), shown
    csv_rows = run_cli(*args, "--format", "csv", url=db_url).output.split(
        "# clustering.k_distance\n")[1]
    assert [float(line.split(",")[-1]) for line in csv_rows.splitlines()[1:]] == distances
    assert_one_line_error(run_cli("sensitivity", "--eps", "0", url=db_url),
                          "eps must be a positive distance in metres", "km), not 0")
    assert_one_line_error(run_cli("sensitivity", "--sectors", "nope", url=db_url),
                          "unknown sector nope")
    assert run_cli("sensitivity", "--min-points", "a,b", url=db_url).exit_code == 2
    for option in ("--eps", "--min-points", "--sectors"):  # given, but naming nothing
        r = run_cli("sensitivity", option, ",", url=db_url)
        assert r.exit_code == 2 and "names nothing" in r.output, r.output


def test_table_and_curves_read_one_snapshot(db_url, conn, monkeypatch):
    """A load that commits between the sweep table and the k-distance curves changes
    neither: both read the snapshot the command started with."""
    _layout(conn)
    before = sensitivity(db_url, [120.0], [10])
    real = sensitivity_module.result_table

    def then_a_load_commits(cur):
        out = real(cur)
        with psycopg.connect(db_url) as load:  # committed on leaving the block
            load.execute("UPDATE registry.enterprises SET active = false, "
                         "inactive_reason = 'missing' WHERE enterprise_id IN "
                         "(SELECT enterprise_id FROM registry.enterprises "
                         "ORDER BY enterprise_id LIMIT 120)")
        return out

    monkeypatch.setattr(sensitivity_module, "result_table", then_a_load_commits)
    during = sensitivity(db_url, [120.0], [10])
    monkeypatch.setattr(sensitivity_module, "result_table", real)
    after = sensitivity(db_url, [120.0], [10])
    assert during == before
    assert after["k_distance"] != before["k_distance"]  # the load did change the curves
