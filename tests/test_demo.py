"""The main job: a reduced demo end to end, planted vs recovered, numbers from the database."""

from __future__ import annotations

import collections
import csv
import re

import psycopg
import pytest

from helpers import run_cli
from industry_clusters.demo import run_demo
from industry_clusters.demo.report import adjusted_rand_index
from industry_clusters.demo.synth import generate


def test_generator_is_deterministic_and_valid(tmp_path, conn):
    a = generate(tmp_path / "a", seed=7, scale=0.03)
    b = generate(tmp_path / "b", seed=7, scale=0.03)
    assert a.registry.read_bytes() == b.registry.read_bytes()
    assert a.truth.read_bytes() == b.truth.read_bytes()
    c = generate(tmp_path / "c", seed=8, scale=0.03)
    assert c.registry.read_bytes() != a.registry.read_bytes()
    with open(a.truth, encoding="utf-8") as f:
        codes = [r["credit_code"] for r in csv.DictReader(f)]
    valid = conn.execute("SELECT bool_and(registry.credit_code_valid(c)) FROM unnest(%s::text[]) c",
                         (codes,)).fetchone()[0]
    assert valid  # the truth lists accepted-kind firms only: all valid codes


def test_generator_writes_every_row_once_and_the_duplicates_after_their_original(tmp_path):
    from industry_clusters.demo.synth import EXCLUDED

    g = generate(tmp_path, seed=5, scale=0.05)
    with open(g.registry, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))[1:]
    assert len(rows) == g.records
    copies = [i for i in range(1, len(rows)) if rows[i] == rows[i - 1]]
    assert len(copies) == round(EXCLUDED["duplicate"] * 0.05)
    codes = [r[1] for r in rows]  # apart from those copies, every credit code once
    assert len(set(codes)) == len(rows) - len(copies)
    with open(g.truth, encoding="utf-8", newline="") as f:
        truth = [r["credit_code"] for r in csv.DictReader(f)]
    assert truth == sorted(truth) and set(truth) <= set(codes)


def test_adjusted_rand_index():
    assert adjusted_rand_index([1, 1, 2, 2], ["a", "a", "b", "b"]) == pytest.approx(1.0)
    assert adjusted_rand_index([1, 1, 2, 2], [1, 2, 1, 2]) == pytest.approx(-0.5)
    from sklearn.metrics import adjusted_rand_score

    a, b = [0, 0, 1, 1, 2, 2, 2, 3], [0, 0, 1, 2, 2, 2, 3, 3]
    assert adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b))


def test_recovery_merges_the_truth_with_the_published_layer(tmp_path, db_url, conn, monkeypatch):
    """recovery() streams both sides in credit-code order. Against the plain computation
    (every code in a dict) on a truth file that misses some published enterprises,
    lists some that are not published, and plants clusters that only partly match."""
    import random

    from points import blob, insert_points

    import industry_clusters.demo.report as report
    from industry_clusters.cluster import run_clustering
    from industry_clusters.db import snapshot

    rng = random.Random(4)
    for n, x in ((40, 0), (60, 3000), (35, 6000)):
        insert_points(conn, blob(rng, n, x, 0, 150))
    insert_points(conn, [(rng.uniform(-9000, 9000), 5000 + rng.uniform(0, 3000))
                         for _ in range(50)])
    conn.commit()
    run_clustering(db_url)
    ours = dict(conn.execute("SELECT credit_code, coalesce(cluster_key::text, '') "
                             "FROM publish.enterprises"))
    intact = min(k for k in ours.values() if k)  # one cluster planted as found
    truth = {c: (f"p{k}" if k and (k == intact or rng.random() < 0.9) else "")
             for c, k in ours.items() if k == intact or rng.random() < 0.8}
    truth |= {f"A{i:017d}": "p-none" for i in range(20)}  # sorts before the published
    truth |= {f"Z{i:017d}": "" for i in range(20)}  # and after
    path = tmp_path / "t.truth.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["credit_code", "planted_cluster"])
        w.writerows(sorted(truth.items()))
    both = sorted(c for c in truth if c in ours)
    t, o = [truth[c] or "noise" for c in both], [ours[c] or "noise" for c in both]

    def member_sets(labels: list[str]) -> set[frozenset]:
        return {frozenset(c for c, x in zip(both, labels, strict=True) if x == k)
                for k in set(labels) - {"noise"}}

    sets_t, sets_o = member_sets(t), member_sets(o)
    assert len(sets_t & sets_o) not in (0, len(sets_t))  # some exact, some not
    monkeypatch.setattr(report, "BATCH", 7)  # many batches
    with snapshot(db_url) as c:
        r = report.recovery(c, path)
    assert (r.planted, r.found, r.exact, r.enterprises) == (
        len(sets_t), len(sets_o), len(sets_t & sets_o), len(both))
    assert r.ari == pytest.approx(adjusted_rand_index(t, o))


def test_reduced_demo_recovers_the_planted_clusters(tmp_path, db_url, conn, shared_data):
    said = []
    res = run_demo(db_url, tmp_path / "out", seed=11, scale=0.08, districts=shared_data,
                   say=said.append)
    assert len(said) == 7 and all(s.startswith(f"[{i}/7]") for i, s in enumerate(said, 1))
    text = res.report.read_text(encoding="utf-8")
    m = re.search(r"Planted (\d+) clusters; found (\d+); \*\*(\d+) recovered exactly\*\*.*"
                  r"index over ([\d,]+) enterprises.*\*\*([\d.]+)\*\*", text)
    planted, found, exact, _, ari = m.groups()
    assert planted == found == exact and int(planted) > 20
    assert float(ari) == pytest.approx(1.0)
    # the report's numbers are the database's
    read, acc, rej = conn.execute("SELECT rows_read, rows_accepted, rows_rejected FROM "
                                  "registry.load_runs WHERE kind='enterprises'").fetchone()
    assert f"**{read:,} rows read = {acc:,} accepted + {rej:,} excluded**" in text
    # each planted exclusion is rejected for its reason, and nothing else is: the
    # generator's "irregular" 壹佰万元 was a regular capital once revision 0089 read
    # Chinese numerals, and its copies of clustered firms were accepted
    from industry_clusters.demo.synth import EXCLUDED

    planted = {k: round(v * 0.08) for k, v in EXCLUDED.items()}
    by_reason = conn.execute("SELECT rejected_by_reason FROM registry.load_runs "
                             "WHERE kind='enterprises'").fetchone()[0]
    assert by_reason == {
        "status_inactive": planted["status"], "non_digital": planted["non_digital"],
        "capital_irregular": planted["capital"], "coordinates_missing": planted["coord_missing"],
        "coordinates_swapped": planted["coord_swapped"],
        "coordinates_outside_region": planted["coord_outside"],
        "credit_code_invalid": planted["credit_invalid"],
        "duplicate_credit_code": planted["duplicate"]}
    n = conn.execute("SELECT n_clusters FROM publish.cluster_runs WHERE published").fetchone()[0]
    assert f"min points 30, {n} clusters" in text
    for sector, code, clusters, mx in conn.execute(
            "SELECT sector, district_code, clusters, max_enterprises "
            "FROM publish.district_sector_stats"):
        row = [ln for ln in text.splitlines() if ln.startswith("| ") and code and
               ("comms" if sector == "comms" else "information") in ln and
               {"440604": "Chancheng", "440605": "Nanhai", "440606": "Shunde",
                "440607": "Sanshui", "440608": "Gaoming"}[code] in ln]
        assert row and f"/ {clusters} (" in row[0] and f"/ {mx} (" in row[0]
    assert res.map.stat().st_size > 20_000
    for p in res.exports:
        assert p.exists()
    # the excluded rows, as the registry had them, each with its reason
    with open(tmp_path / "out" / "rejects.csv", encoding="utf-8-sig") as f:
        rejected = list(csv.DictReader(f))
    assert len(rejected) == rej
    assert collections.Counter(r["reject_reason"] for r in rejected) == by_reason
    assert all(r["统一社会信用代码"] or r["reject_reason"] == "credit_code_missing"
               for r in rejected)


def test_demo_runs_twice_cleanly(tmp_path, db_url):
    args = ["demo", "run", "--out", str(tmp_path / "o"), "--seed", "5", "--scale", "0.03"]
    first = run_cli(*args, url=db_url)
    assert first.exit_code == 0, first.output
    second = run_cli(*args, url=db_url)
    assert second.exit_code == 0, second.output
    assert "exists (seed 5); reusing it" in second.output
    assert "already loaded with the same content" in second.output
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT count(*) FROM clustering.runs WHERE status='succeeded'"
                         ).fetchone()[0] == 2
