"""The demo report: the study's figures next to ours, every number read from the database."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from industry_clusters.db import BATCH
from industry_clusters.demo.study import CLUSTERS_IN_TEXT, DISTRICTS, POOL, RAW_POOL, SURVEY, TABLE1
from industry_clusters.publish import result_table, text_table

SECTOR_TITLE = {"comms": "comms, electronics, digital", "software": "information and software"}


def adjusted_rand_index(a: list, b: list) -> float:
    """ARI of two labelings of the same items (the Hubert-Arabie formula)."""
    return _ari(Counter(zip(map(str, a), map(str, b), strict=True)))


def _ari(pairs: Counter) -> float:
    """ARI from the contingency table: how many items carry each pair of labels."""
    sum_a, sum_b = Counter(), Counter()
    for (x, y), n in pairs.items():
        sum_a[x] += n
        sum_b[y] += n

    def c2(counts) -> int:  # pairs of items, as Python ints: no overflow at any size
        return sum(n * (n - 1) // 2 for n in counts)

    sum_ij, sa, sb = c2(pairs.values()), c2(sum_a.values()), c2(sum_b.values())
    total = sum(pairs.values())
    n = total * (total - 1) // 2
    expected = sa * sb / n if n else 0
    top = (sa + sb) / 2
    return float((sum_ij - expected) / (top - expected)) if top != expected else 1.0


@dataclass
class Recovery:
    planted: int
    found: int
    exact: int
    ari: float
    enterprises: int


def recovery(conn, truth_path: Path) -> Recovery:
    """The planted clusters against the published ones, over the enterprises in both.
    The truth file (sorted by credit code) and publish.enterprises (read in the same
    order, in batches) are merged as they stream: what is held is one count per pair of
    planted and found cluster, not the enterprises (a million of them at scale 10).
    ``conn`` is in a transaction (a snapshot)."""
    pairs: Counter = Counter()
    with open(truth_path, encoding="utf-8", newline="") as f, \
            conn.cursor(name="demo_recovery") as cur:
        truth = csv.reader(f)
        next(truth)  # the header
        cur.itersize = BATCH
        # byte order, as the generator sorted the (ASCII) codes
        cur.execute("SELECT credit_code, coalesce(cluster_key::text, '') "
                    'FROM publish.enterprises ORDER BY credit_code COLLATE "C"')
        ours = next(cur, None)
        for code, planted in truth:
            while ours is not None and ours[0] < code:
                ours = next(cur, None)
            if ours is not None and ours[0] == code:
                pairs[(planted or "noise", ours[1] or "noise")] += 1
    size_planted, size_found = Counter(), Counter()
    for (t, o), n in pairs.items():
        size_planted[t] += n
        size_found[o] += n
    # recovered exactly: a planted and a found cluster sharing all their members
    exact = sum(1 for (t, o), n in pairs.items()
                if "noise" not in (t, o) and n == size_planted[t] == size_found[o])
    return Recovery(len(size_planted.keys() - {"noise"}), len(size_found.keys() - {"noise"}),
                    exact, _ari(pairs), sum(pairs.values()))


def _fmt(v, digits=2):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def build(conn, *, load_run_id: int, truth_path: Path | None, map_path: Path | None,
          exports: list[Path]) -> str:
    """The report as Markdown."""
    out: list[str] = ["# Foshan digital industrial clusters: demo report", "",
                      "The registry is **synthetic** (`industry-clusters demo generate`),"
                      " calibrated to the published tables of the reference study; the pipeline "
                      "that processed it is the real one. Every figure below was read from the "
                      "database after the run.", ""]
    # -- screening
    read, acc, rej, by_reason, file_name = conn.execute(
        "SELECT rows_read, rows_accepted, rows_rejected, rejected_by_reason, file_name "
        "FROM registry.load_runs WHERE load_run_id = %s", (load_run_id,)).fetchone()
    sectors = dict(conn.execute(
        "SELECT CASE WHEN s.code = 'software' THEN 'software' WHEN e.digital_label THEN "
        "'digital_label' ELSE 'division_39' END, count(*) FROM registry.enterprises e "
        "JOIN registry.sectors s USING (sector_id) WHERE e.active GROUP BY 1"))
    out += ["## Screening (study, method step 2)", "",
            f"Load run {load_run_id} (`{Path(file_name).name}`): **{read:,} rows read = "
            f"{acc:,} accepted + {rej:,} excluded**.", ""]
    rows = [(k, v) for k, v in sorted(by_reason.items(), key=lambda kv: -kv[1])]
    out += ["| excluded because | rows |", "|---|---:|"] + \
        [f"| {k} | {v:,} |" for k, v in rows] + [""]
    out += ["| pool | study | this run |", "|---|---:|---:|",
            f"| raw records | ~{RAW_POOL:,} | {read:,} |",
            f"| division 39 (comms, electronics) | {POOL['division_39']:,} | "
            f"{sectors.get('division_39', 0):,} |",
            f"| labelled digital | {POOL['digital_label']:,} | "
            f"{sectors.get('digital_label', 0):,} |",
            f"| information and software (63-65) | {POOL['software']:,} | "
            f"{sectors.get('software', 0):,} |",
            f"| basic pool | {sum(POOL.values()):,} | {acc:,} |", ""]
    # -- Table 1
    run = conn.execute("SELECT run_id, eps_m, min_points, n_clusters, tier_params "
                       "FROM publish.cluster_runs WHERE published").fetchone()
    # ours per (sector, district code), and per (sector, district name) for clusters
    # whose district came from the registry (no boundaries, hence no code)
    stats, by_name = {}, {}
    for sector, code, name, *values in conn.execute(
            "SELECT sector, district_code, district_name, clusters, max_enterprises, "
            "mean_enterprises FROM publish.district_sector_stats"):
        stats[(sector, code)] = by_name[(sector, name)] = tuple(values)
    out += ["## Table 1: clusters per district", "",
            f"Clustering run {run[0]}: eps {run[1]:g} m, min points {run[2]}, {run[3]} clusters "
            f"(study: {sum(CLUSTERS_IN_TEXT.values())} in the text, "
            f"{sum(v[0] for v in TABLE1.values())} in its table). Districts of clusters come "
            "from the loaded boundaries (the members' majority) when present, else from the "
            "registered district.", ""]
    out += ["| sector | district | clusters (study / ours) | max (study / ours) | "
            "mean (study / ours) |", "|---|---|---|---|---|"]
    for sector in ("comms", "software"):
        for code, (zh, en) in DISTRICTS.items():
            study = TABLE1.get((sector, code))
            ours = stats.get((sector, code)) or by_name.get((sector, zh))
            if not study and not ours:
                continue
            s = study or (None, None, None)
            o = ours or (0, None, None)

            def pair(a, b, d=2):
                diff = "" if a is None or b is None else f" ({float(b) - float(a):+.{d}f})"
                return f"{_fmt(a, d)} / {_fmt(b if b is None else float(b), d)}{diff}"

            out.append(f"| {SECTOR_TITLE[sector]} | {en} {zh} | {pair(s[0], o[0], 0)} | "
                       f"{pair(s[1], o[1], 0)} | {pair(s[2], o[2])} |")
    out.append("")
    # -- tiers and structure
    out += ["## Three-tier hierarchy", "",
            f"Tier method: {run[4]['method']}; thresholds (enterprises per cluster): " +
            "; ".join(f"{k}: core >= {v['core']}, medium >= {v['medium']}"
                      for k, v in run[4]["thresholds"].items()) + ".", ""]
    cur = conn.execute("SELECT sector, tier, clusters, enterprises, mean_size, "
                       "mean_density_per_km2, districts_present FROM publish.tier_stats "
                       "ORDER BY stat_id")
    out += ["```", text_table(*result_table(cur)), "```", ""]
    ms_share, ms_cov, ratio = conn.execute("""
        SELECT avg((size_class IN ('micro', 'small'))::int),
               avg(digital_transformation::int) FILTER (WHERE size_class IN ('micro', 'small')),
               avg(capital_cny) FILTER (WHERE size_class IN ('micro', 'small'))
                 / avg(capital_cny) FILTER (WHERE size_class = 'large')
          FROM publish.enterprises WHERE cluster_key IS NOT NULL""").fetchone()
    out += ["| survey finding (firms in clusters) | study | this run |", "|---|---|---|",
            f"| micro and small share | > {SURVEY['micro_small_share_min']:.0%} | "
            f"{float(ms_share):.1%} |",
            f"| digital coverage of micro and small | "
            f"{SURVEY['micro_small_digital_coverage']:.0%} | {float(ms_cov):.1%} |",
            f"| capital, micro and small vs large | ~1/20 | 1/{1 / float(ratio):.1f} |", ""]
    cur = conn.execute("SELECT tier, size_class, enterprises, share_of_tier, digital_coverage, "
                       "mean_capital_cny FROM publish.tier_structure ORDER BY stat_id")
    out += ["```", text_table(*result_table(cur)), "```", ""]
    # -- recovery
    if truth_path and truth_path.exists():
        r = recovery(conn, truth_path)
        out += ["## Recovery of the planted clusters", "",
                f"Planted {r.planted} clusters; found {r.found}; **{r.exact} recovered exactly** "
                f"(same member set); adjusted Rand index over {r.enterprises:,} enterprises "
                f"(noise as one class): **{r.ari:.4f}**.", ""]
    if map_path:
        out += ["## Map", "", f"![clusters]({map_path.name})", ""]
    if exports:
        out += ["## Exports", ""] + [f"- `{p}`" for p in exports] + [""]
    return "\n".join(out)
