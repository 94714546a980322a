"""Benchmarks, one command: ``make bench`` (or ``python benchmarks/run.py``).

Each figure is reported as a ratio to a baseline measured in the same run, on the
same data (machines here are noisy):

- load: ``industry-clusters load`` of a synthetic registry (default 1,000,000 rows)
  against a plain ``COPY`` of the same file into an all-text table; a second,
  forced load of the unchanged file; the next night's file (1% of the enterprises
  renamed, the last 0.5% gone), loaded as cron would, without ``--force``; peak client
  memory. Three rounds (``--load-rounds``), each into a fresh database after its own
  ``COPY`` baseline: medians, with the range (a load varies by +-10% here between runs).
- cluster: ``cluster`` + ``refresh``, first on a freshly loaded registry, then
  re-run on the same data, then after the next night's file (as in the load
  benchmark) is loaded, against a bare ``ST_ClusterDBSCAN`` query over the same
  table (measured again on the next night's), and against fetching the points to
  Python and running scikit-learn's DBSCAN per sector; at ~112,000 enterprises
  (``--cluster-scales 1,10`` adds ~1,200,000; ``10s``: the same spread over ten times
  the area, a real city's density).
- sweep: ``sensitivity`` over the default 5 eps x 3 min points at ~112,000 enterprises,
  without and with the k-distance curves, against the bare ``ST_ClusterDBSCAN`` query
  times the number of pairs (the naive way to sweep).

- export: ``export`` of the enterprises layer to GeoPackage, FlatGeobuf, GeoJSON and
  CSV (``--export-scale``, default 1: ~112,000 enterprises; 10: ~1,100,000), against
  reading the layer's query in export's batches with nothing written; peak client
  memory.

- districts: ``load-districts`` of a layer of village boundaries (``--district-features``,
  default 1,000, of 249 vertices each) in a projected CRS, by EPSG code (EPSG:4547) and
  as a city's own grid given only as WKT, against the same boundaries in
  longitude/latitude (nothing to unproject), into an empty registry.

``--parts load,cluster,sweep,export,districts`` picks what to run (default: all).

It works in its own database (``ic_bench``, re-created) on the server the CLI would
use (DATABASE_URL, PG*, or the project-local cluster). Results go to
benchmarks/results/<timestamp>.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from industry_clusters.config import resolve  # noqa: E402
from industry_clusters.db import migrate  # noqa: E402

DB = "ic_bench"


def bench_db() -> str:
    base = resolve(None).conninfo
    admin = make_conninfo(base, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB)))
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB)))
    url = make_conninfo(base, dbname=DB)
    migrate.init(url)
    return url


def cached(folder: Path, seed: int, scale: float) -> Path:
    """The generated registry for (seed, scale); generation is deterministic, so reuse."""
    path = folder / f"registry_s{seed}_x{scale:g}.csv"
    if not path.exists():
        # in a child process: the generator holds its rows in memory (1 GB at a million),
        # and a CLI child forked from a process that large reports its peak as its own
        # (ru_maxrss survives exec), which made a load's client peak read 1,150 MB
        subprocess.run([sys.executable, "-c",
                        "import sys; from pathlib import Path; "
                        "from industry_clusters.demo.synth import generate; "
                        "generate(Path(sys.argv[1]), seed=int(sys.argv[2]), "
                        "scale=float(sys.argv[3]), name=sys.argv[4])",
                        str(folder), str(seed), repr(scale), path.name], check=True)
    return path


def derived(path: Path, suffix: str, edit) -> Path:
    """A registry derived from ``path``, beside it (cached): ``edit(header)`` gives a
    function of (row number, row) that changes the row in place and returns False to
    end the file there. Streamed, row by row."""
    out = path.with_name(path.stem + suffix + ".csv")
    if not out.exists():
        part = out.with_suffix(".part")
        with open(path, encoding="utf-8", newline="") as src, \
             open(part, "w", encoding="utf-8", newline="") as dst:
            rows, w = csv.reader(src), csv.writer(dst, lineterminator="\n")
            header = next(rows)
            w.writerow(header)
            change = edit(header)
            for i, r in enumerate(rows):
                if change(i, r) is False:
                    break
                w.writerow(r)
        part.rename(out)
    return out


def next_night(path: Path) -> tuple[Path, int, int]:
    """The registry of the next night, beside ``path`` (cached): every 100th enterprise
    renamed, the last 0.5% of the rows gone. (path, renamed, gone)."""
    with open(path, encoding="utf-8", newline="") as f:
        n = sum(1 for _ in f) - 1
    keep = n - n // 200

    def edit(header):
        name = header.index("企业名称")

        def change(i, r):
            if i == keep:
                return False
            if i % 100 == 0:
                r[name] += "（更名）"
        return change

    return derived(path, "_next", edit), len(range(0, keep, 100)), n - keep


# Spread registries: the same enterprises over SPREAD^2 times the area, about the centre
# of the generator's extent (GCJ-02 lon/lat), so that a 1.2M registry has the density of
# the demo's 120,000, a real city's, instead of ten times it.
SPREAD = 10 ** 0.5
CENTRE = (113.02, 23.06)


def spread_registry(path: Path) -> Path:
    """``path`` with every location moved SPREAD times as far from CENTRE (cached)."""
    def edit(header):
        cols = [(header.index("经度"), CENTRE[0]), (header.index("纬度"), CENTRE[1])]

        def change(_i, r):
            for i, c in cols:
                try:
                    r[i] = f"{c + (float(r[i]) - c) * SPREAD:.6f}"
                except ValueError:  # a missing or broken coordinate stays as it is
                    pass
        return change

    return derived(path, "_spread", edit)


def spread_region(url: str) -> None:
    """Widen the region extent (registry.settings) as spread_registry spreads the points."""
    with psycopg.connect(url) as c:
        c.execute("UPDATE registry.settings SET "
                  "region_xmin = %(x)s + (region_xmin - %(x)s) * %(k)s, "
                  "region_xmax = %(x)s + (region_xmax - %(x)s) * %(k)s, "
                  "region_ymin = %(y)s + (region_ymin - %(y)s) * %(k)s, "
                  "region_ymax = %(y)s + (region_ymax - %(y)s) * %(k)s",
                  {"x": CENTRE[0], "y": CENTRE[1], "k": SPREAD})


def cli(url: str, *args: str) -> tuple[float, int]:
    """Run the CLI in a child process; (seconds, peak RSS in MB of that child alone:
    wait4's usage, not RUSAGE_CHILDREN, which keeps the largest child so far)."""
    t = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "industry_clusters", "--quiet",
                              "--database-url", url, *args])
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - t
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, child.args)
    return seconds, usage.ru_maxrss // 1024


def plain_copy(url: str, path: Path, columns: int) -> float:
    with psycopg.connect(url) as c:
        c.execute("CREATE TEMP TABLE copy_baseline ({})".format(
            ", ".join(f"c{i} text" for i in range(columns))))
        t = time.perf_counter()
        with c.cursor().copy("COPY copy_baseline FROM STDIN (FORMAT csv, HEADER true)") as cp, \
                open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                cp.write(chunk)
        return time.perf_counter() - t


def bare_dbscan(url: str) -> float:
    with psycopg.connect(url) as c:
        t = time.perf_counter()
        c.execute("CREATE TEMP TABLE bare AS SELECT enterprise_id, ST_ClusterDBSCAN(geom_proj, "
                  "500, 30) OVER (PARTITION BY sector_id ORDER BY enterprise_id) AS cid "
                  "FROM registry.enterprises WHERE active")
        return time.perf_counter() - t


def run_seconds(url: str, last: int) -> float:
    """The shortest of the last ``last`` clustering runs, as recorded by the run itself
    (started to finished: everything but the refresh of the published views)."""
    with psycopg.connect(url) as c:
        return c.execute("SELECT min(extract(epoch FROM finished_at - started_at))::float8 FROM "
                         "(SELECT * FROM clustering.runs WHERE status = 'succeeded' "
                         "ORDER BY run_id DESC LIMIT %s) r", (last,)).fetchone()[0]


def sklearn_route(url: str, jobs: int | None = None) -> float | None:
    """Fetch each sector's points and fit scikit-learn's DBSCAN to them (labels and core
    samples, kept in Python); ``jobs``: its n_jobs, the cores its neighbour search uses
    (None: one)."""
    try:
        import numpy as np
        from sklearn.cluster import DBSCAN
    except ImportError:
        return None
    t = time.perf_counter()
    with psycopg.connect(url) as c:
        sectors = c.execute("SELECT DISTINCT sector_id FROM registry.enterprises").fetchall()
        for (sector,) in sectors:
            xy = np.array(c.execute("SELECT ST_X(geom_proj), ST_Y(geom_proj) FROM "
                                    "registry.enterprises WHERE active AND sector_id = %s "
                                    "ORDER BY enterprise_id", (sector,)).fetchall())
            DBSCAN(eps=500, min_samples=30, n_jobs=jobs).fit(xy)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--load-rows", type=int, default=1_000_000)
    ap.add_argument("--load-rounds", type=int, default=None,
                    help="rounds of the load benchmark, medians reported (default 3; 1 "
                         "with --quick)")
    ap.add_argument("--cluster-scales", default="1",
                    help="registry scales for the clustering benchmark (1 = ~112,000; "
                         "1,10 adds ~1,200,000, which takes tens of minutes here; a scale "
                         "ending in s, 10s, is spread over ten times the area, to the "
                         "demo's density)")
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke check")
    ap.add_argument("--parts", default="load,cluster,sweep,export,districts",
                    help="comma-separated: load, cluster, sweep, export, districts")
    ap.add_argument("--district-features", type=int, default=None,
                    help="boundaries in the districts benchmark (default 1000; 100 with "
                         "--quick)")
    ap.add_argument("--export-scale", type=float, default=None,
                    help="registry scale of the export benchmark (default 1; 0.5 with "
                         "--quick)")
    ap.add_argument("--work", default=str(ROOT / "benchmarks" / ".cache"),
                    help="where generated registries are kept (deterministic: reused)")
    args = ap.parse_args()
    if args.quick:
        args.load_rows, args.cluster_scales = 60_000, "0.5"
    args.load_rounds = args.load_rounds or (1 if args.quick else 3)
    args.district_features = args.district_features or (100 if args.quick else 1000)
    lines = [f"# Benchmarks {dt.datetime.now():%Y-%m-%d %H:%M}", "",
             f"Machine: {os.cpu_count()} cores; PostgreSQL server of {resolve(None).source}.", ""]
    work = Path(args.work)
    parts = set(args.parts.split(","))
    if "load" in parts:
        lines += bench_load(args, work)
    if "cluster" in parts:
        lines += bench_cluster(args, work)
    if "sweep" in parts:
        lines += bench_sweep(args, work)
    if "export" in parts:
        lines += bench_export(args, work)
    if "districts" in parts:
        lines += bench_districts(args, work)
    out = ROOT / "benchmarks" / "results" / f"{dt.datetime.now():%Y%m%d-%H%M%S}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"\nwritten to {out}")


def bench_load(args, work: Path) -> list[str]:
    """Each round: a fresh database, the plain COPY baseline, then the three loads, so
    that every load has a baseline measured beside it; medians over the rounds."""
    scale = args.load_rows / 119_761
    print(f"generating {args.load_rows:,} rows ...", flush=True)
    reg = cached(work / "load", 99, scale)
    nxt, renamed, gone = next_night(reg)
    n_rows = sum(1 for _ in open(reg, encoding="utf-8")) - 1
    steps = {"copy": [], "load": [], "reload": [], "next": []}
    peak = {}  # the loads' client peak MB (the COPY runs in this process)
    for r in range(args.load_rounds):
        print(f"load round {r + 1} of {args.load_rounds} ...", flush=True)
        url = bench_db()
        steps["copy"].append(plain_copy(url, reg, 14))
        for key, cmd in (("load", ("load", str(reg), "--crs", "gcj02")),
                         ("reload", ("load", str(reg), "--crs", "gcj02", "--force")),
                         ("next", ("load", str(nxt), "--crs", "gcj02"))):
            seconds, mb = cli(url, *cmd)
            steps[key].append(seconds)
            peak[key] = max(peak.get(key, 0), mb)

    def row(label: str, key: str, rows: int) -> str:
        t = steps[key]
        ratio = statistics.median(a / b for a, b in zip(t, steps["copy"], strict=True))
        spread = f" ({min(t):.1f}-{max(t):.1f})" if len(t) > 1 else ""
        return (f"| {label} | {statistics.median(t):.1f}{spread} | "
                f"{rows / statistics.median(t):,.0f} | {ratio:.1f} | "
                f"{peak.get(key, '-')} |")

    lines = ["## Load", "", f"{n_rows:,} rows ({reg.stat().st_size / 1e6:.0f} MB CSV, GCJ-02); "
             f"median of {args.load_rounds} round(s), each into a fresh database after its "
             "own plain COPY (range in brackets; ratio: median of the rounds' ratios).",
             "", "| step | seconds | rows/s | x plain COPY | client peak MB |",
             "|---|---:|---:|---:|---:|",
             row("plain COPY into text columns (baseline)", "copy", n_rows),
             row("load (parse, screen, convert, upsert)", "load", n_rows),
             row("forced re-load, unchanged file", "reload", n_rows),
             row(f"next night's file ({renamed:,} renamed, last {gone:,} rows gone; no "
                 "--force)", "next", n_rows - gone), ""]
    print("\n".join(lines), flush=True)
    return lines


def cluster_registry(work: Path, scale: float, spread: bool = False) -> Path:
    """The cached registry the clustering benchmarks load at ``scale`` (``spread``: over
    SPREAD^2 times the area)."""
    reg = cached(work / f"c{scale}", 7, scale)
    return spread_registry(reg) if spread else reg


def loaded(work: Path, scale: float, spread: bool = False) -> tuple[str, int]:
    """A fresh benchmark database holding the cached registry of ``scale``; (url, active
    enterprises)."""
    reg = cluster_registry(work, scale, spread)
    url = bench_db()
    if spread:
        spread_region(url)
    cli(url, "load", str(reg), "--crs", "gcj02")
    with psycopg.connect(url) as c:
        return url, c.execute("SELECT count(*) FROM registry.enterprises WHERE active"
                              ).fetchone()[0]


def bench_cluster(args, work: Path) -> list[str]:
    lines = ["## Cluster", "",
             "| enterprises | bare ST_ClusterDBSCAN s | first cluster + refresh s | ratio "
             "| re-run cluster + refresh s | ratio | of which the run, without refresh s "
             "| ratio | scikit-learn route s | re-run / scikit-learn | scikit-learn on "
             f"{os.cpu_count()} cores s | re-run / that | next night: bare s "
             "| cluster + refresh s | ratio |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for spec in args.cluster_scales.split(","):
        spread = spec.endswith("s")
        s = float(spec.removesuffix("s"))
        print(f"clustering benchmark at scale {s}{' spread' if spread else ''} ...", flush=True)
        url, n = loaded(work, s, spread)
        repeat = 2 if n < 500_000 else 1  # large sizes: one measurement each
        first = cli(url, "cluster")[0]  # after the load: every enterprise is new to publish
        bare = min(bare_dbscan(url) for _ in range(repeat))
        again = min(cli(url, "cluster")[0] for _ in range(repeat))  # same data (nightly skips it)
        run = run_seconds(url, repeat)
        skl = sklearn_route(url)
        skl_all = sklearn_route(url, os.cpu_count())
        # the next night: some enterprises renamed, some gone (deactivated), so some
        # clusters change and the labels after them in their sector shift
        cli(url, "load", str(next_night(cluster_registry(work, s, spread))[0]), "--crs", "gcj02")
        night_bare = bare_dbscan(url)
        night = cli(url, "cluster")[0]
        label = f"{n:,}{' spread' if spread else ''}"
        lines.append(f"| {label} | {bare:.2f} | {first:.2f} | {first / bare:.1f} | {again:.2f} | "
                     f"{again / bare:.1f} | {run:.2f} | {run / bare:.1f} | "
                     + (f"{skl:.2f} | {again / skl:.2f} | {skl_all:.2f} | {again / skl_all:.2f} |"
                        if skl else "n/a | n/a | n/a | n/a |")
                     + f" {night_bare:.2f} | {night:.2f} | {night / night_bare:.1f} |")
        print(lines[-1], flush=True)
    lines += ["", "cluster + refresh is timed as the CLI command (process start included): "
              "first on the freshly loaded registry, then re-run on the same data (the "
              "published rows of unchanged enterprises stay as they are), then once more "
              "after loading the next night's file (every 100th enterprise renamed, the last "
              "0.5% gone, as in the load benchmark: the nightly job), against the bare query "
              "measured on that night's registry; the run without refresh is the re-runs' "
              "clustering.runs record, start to finish (labels, cluster rows, lineage, tiers; "
              "the views are refreshed after it); "
              "ratio = time / the bare query's. The scikit-learn route fetches each sector's "
              "points and fits DBSCAN (labels and core samples, left in Python), on one core "
              "and then with n_jobs = the machine's cores, as the clustering uses both. "
              "A spread registry is the same file with every location moved sqrt(10) times "
              "as far from the centre of the generator's extent (and the region extent "
              "widened alike): ten times the area, so the density of the demo's registry "
              "and of a real city, where the plain scale-10 registry is ten times denser.", ""]
    return lines


def bench_sweep(args, work: Path) -> list[str]:
    s = 0.5 if args.quick else 1.0
    print(f"sweep benchmark at scale {s} ...", flush=True)
    url, n = loaded(work, s)
    pairs = 5 * 3  # the command's defaults: eps 300,400,500,600,800 x min points 20,30,40
    bare = min(bare_dbscan(url) for _ in range(2))
    sweep = cli(url, "sensitivity", "--no-k-distance")[0]
    full = cli(url, "sensitivity")[0]
    lines = ["## Sensitivity sweep", "", f"{n:,} enterprises, {pairs} (eps, min points) pairs.",
             "", "| what | seconds | x (bare query x pairs) |", "|---|---:|---:|",
             f"| bare ST_ClusterDBSCAN x {pairs} (baseline) | {bare * pairs:.1f} | 1.0 |",
             f"| sensitivity --no-k-distance | {sweep:.1f} | {sweep / (bare * pairs):.2f} |",
             f"| sensitivity (with k-distance, k = 20, 30, 40) | {full:.1f} | "
             f"{full / (bare * pairs):.2f} |", ""]
    print("\n".join(lines), flush=True)
    return lines


def bare_fetch(url: str) -> float:
    """The enterprises layer's query read through a server-side cursor in export's
    batches, nothing written: what every export does before writing."""
    from industry_clusters.db import BATCH
    from industry_clusters.export import LAYERS, _query

    with psycopg.connect(url) as c:
        t = time.perf_counter()
        with c.cursor(name="bare_fetch") as cur:
            cur.itersize = BATCH
            cur.execute(_query(LAYERS["enterprises"], "wgs84", None))
            while cur.fetchmany(BATCH):
                pass
        return time.perf_counter() - t


def bench_export(args, work: Path) -> list[str]:
    s = args.export_scale or (0.5 if args.quick else 1.0)
    print(f"export benchmark at scale {s} ...", flush=True)
    url, n = loaded(work, s)
    cli(url, "cluster")
    bare = min(bare_fetch(url) for _ in range(2))
    lines = ["## Export", "", f"The enterprises layer, {n:,} enterprises (WGS-84).", "",
             "| what | seconds | x (reading only) | peak MB |", "|---|---:|---:|---:|",
             f"| the layer's query read in batches, nothing written (baseline) | {bare:.1f} "
             "| 1.0 | |"]
    out = work / "export"
    out.mkdir(parents=True, exist_ok=True)
    for fmt in ("gpkg", "fgb", "geojson", "csv"):
        path = out / f"enterprises.{fmt}"
        seconds, peak = cli(url, "export", str(path), "--layers", "enterprises", "--overwrite")
        lines.append(f"| export .{fmt} | {seconds:.1f} | {seconds / bare:.1f} | {peak} |")
        path.unlink()
    lines.append("")
    print("\n".join(lines), flush=True)
    return lines


def local_grid_wkt() -> str:
    """A city's own grid as a surveying office hands it out, given only as WKT: EPSG:4547
    (CGCS2000, Gauss-Kruger 114E) with another false easting and name, no EPSG code."""
    import re

    from pyproj import CRS

    wkt = CRS("EPSG:4547").to_wkt("WKT1_GDAL")
    wkt = re.sub(r',AUTHORITY\["EPSG","4547"\]', "", wkt)
    wkt = wkt.replace('"CGCS2000 / 3-degree Gauss-Kruger CM 114E"', '"Foshan local grid"')
    return CRS(wkt.replace('"false_easting",500000', '"false_easting",38500')).to_wkt()


def village_layers(folder: Path, n: int) -> dict[str, Path]:
    """n square village boundaries across Foshan, 249 vertices each, in longitude/latitude,
    EPSG:4547 and a local grid: {name: GeoPackage}."""
    import numpy as np
    import pyogrio
    import shapely
    from pyproj import Transformer

    side = int(np.ceil(np.sqrt(n)))
    step = 0.6 / side
    degrees = np.array([shapely.segmentize(shapely.box(
        112.6 + (i % side) * step, 22.7 + (i // side) * step,
        112.6 + (i % side) * step + 0.9 * step, 22.7 + (i // side) * step + 0.9 * step),
        step / 60) for i in range(n)])
    codes = np.array([f"V{i:05d}" for i in range(n)], dtype=object)
    folder.mkdir(parents=True, exist_ok=True)
    layers = {}
    for name, crs in (("degrees", "EPSG:4326"), ("epsg4547", "EPSG:4547"),
                      ("local_grid", local_grid_wkt())):
        t = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        geoms = shapely.transform(degrees, lambda c, t=t: np.column_stack(
            t.transform(c[:, 0], c[:, 1])))
        layers[name] = folder / f"villages_{n}_{name}.gpkg"
        pyogrio.raw.write(layers[name], shapely.to_wkb(geoms), [codes, codes],
                          ["name", "adcode"], geometry_type="Polygon", crs=crs,
                          driver="GPKG")
    return layers


def bench_districts(args, work: Path) -> list[str]:
    n = args.district_features
    print(f"districts benchmark, {n:,} boundaries ...", flush=True)
    layers = village_layers(work / "districts", n)
    url = bench_db()
    runs = {name: min(cli(url, "load-districts", str(path), "--crs", "cgcs2000")[0]
                      for _ in range(2)) for name, path in layers.items()}
    base = runs["degrees"]
    lines = ["## District boundaries", "", f"{n:,} village boundaries (249 vertices each), "
             "loaded into an empty registry; the better of two loads.", "",
             "| layer | seconds | x (in longitude/latitude) |", "|---|---:|---:|",
             f"| in longitude/latitude, EPSG:4326 (baseline) | {base:.1f} | 1.0 |",
             f"| in EPSG:4547 (CGCS2000 / Gauss-Kruger 114E) | {runs['epsg4547']:.1f} | "
             f"{runs['epsg4547'] / base:.1f} |",
             f"| in a local grid given only as WKT | {runs['local_grid']:.1f} | "
             f"{runs['local_grid'] / base:.1f} |", ""]
    print("\n".join(lines), flush=True)
    return lines


if __name__ == "__main__":
    main()
