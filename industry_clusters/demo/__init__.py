"""The main job: a Foshan demo that runs the real pipeline on a synthetic registry.

generate (if absent) -> load district boundaries (when available) -> load the
registry (GCJ-02) -> cluster (500 m, 30) -> refresh -> export -> report and map.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from industry_clusters.db import snapshot
from industry_clusters.paths import ROOT, writable_dir

DEFAULT_SEED = 2024


def default_districts() -> Path | None:
    """District boundaries for the demo: $INDUSTRY_CLUSTERS_DISTRICTS, else the shared
    test data beside the checkout (third-party, not redistributed), else none."""
    env = os.environ.get("INDUSTRY_CLUSTERS_DISTRICTS")
    if env:
        return Path(env)
    shared = ROOT.parent / "shared" / "data" / "foshan_districts.geojson"
    return shared if shared.exists() else None


@dataclass
class DemoResult:
    report: Path
    map: Path
    exports: list[Path]
    text: str
    seconds: float


def run_demo(target, out: Path, *, seed: int = DEFAULT_SEED, scale: float = 1.0,
             districts: Path | None = None,
             say: Callable[[str], None] = print) -> DemoResult:
    from industry_clusters.cluster import run_clustering
    from industry_clusters.demo import mapplot, report
    from industry_clusters.demo.synth import generate, registry_name
    from industry_clusters.export import export
    from industry_clusters.load import load_file
    from industry_clusters.load.districts import load_districts
    from industry_clusters.load.rejects import write_rejects

    t0 = time.monotonic()
    out = Path(out)
    writable_dir(out, out)
    name = registry_name(seed, scale)
    registry = out / name
    truth = registry.with_suffix(".truth.csv")
    if registry.exists() and truth.exists():
        say(f"[1/7] registry {registry} exists (seed {seed}); reusing it")
    else:
        g = generate(out, seed=seed, scale=scale, name=name)
        say(f"[1/7] generated {g.records:,} synthetic registry rows, {g.planted} planted "
            f"clusters -> {registry}")
    if districts:
        res = load_districts(target, districts, crs="gcj02")
        say(f"[2/7] {res.summary()}")
    else:
        say("[2/7] no district boundaries (set INDUSTRY_CLUSTERS_DISTRICTS); districts come "
            "from the registry")
    loaded = load_file(target, registry, crs="gcj02")
    say(f"[3/7] {loaded.summary()}")
    load_run = loaded.load_run_id or loaded.previous_run_id
    run = run_clustering(target, eps=500, min_points=30)
    say(f"[4/7] {run.summary()} (publish refreshed)")
    gpkg = out / "foshan_clusters.gpkg"
    counts = export(target, gpkg, overwrite=True)
    csvs = []
    for table in ("district_sector_stats", "tier_stats", "tier_structure"):
        p = out / f"{table}.csv"
        export(target, p, layers=[table], overwrite=True)
        csvs.append(p)
    # the rows the load excluded, as the registry file had them, with the reason
    rejects = out / "rejects.csv"
    write_rejects(target, rejects, run=load_run, overwrite=True)
    csvs.append(rejects)
    say(f"[5/7] exported {gpkg} ({', '.join(f'{k} {v}' for k, v in counts.items())}), "
        f"{len(csvs) - 1} CSV tables and the rejected rows ({rejects.name})")
    with snapshot(target) as conn:  # the map and the report read one state of publish
        map_path = mapplot.draw(conn, out / "map.png")
        say(f"[6/7] map {map_path}")
        text = report.build(conn, load_run_id=load_run, truth_path=truth, map_path=map_path,
                            exports=[gpkg, *csvs])
    report_path = out / "report.md"
    report_path.write_text(text, encoding="utf-8")
    say(f"[7/7] report {report_path}")
    return DemoResult(report_path, map_path, [gpkg, *csvs], text, time.monotonic() - t0)
