"""The nightly job: load -> cluster -> refresh -> export, for cron or a systemd timer.

One log line per step and a summary; the caller exits 0 only if every step succeeded.
A second nightly job at the same time is refused (advisory lock). Running twice on
the same input changes nothing: the file (or the set of parts) is recognised by its
hash and, when no load changed the registry and the published run is the run the job
would make (every parameter: sectors, tiers and as-of date too), clustering is skipped
and publish is left as it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from psycopg.types.json import Jsonb

from industry_clusters.db import job_session, user_parameters
from industry_clusters.paths import output_file


@dataclass
class NightlyResult:
    steps: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_nightly(target, files: list[Path], *, crs: str, fmt: str | None = None,
                encoding: str = "auto", mapping: dict[str, str] | None = None,
                layer: str | list[str] | None = None, export_dir: Path | None = None,
                keep_runs: int = 7, keep_rejects: int = 30, eps: float = 500.0,
                min_points: int = 30,
                say: Callable[[str], None] = print,
                notify: Callable[[str], None] | None = None) -> NightlyResult:
    """``fmt``, ``encoding``, ``mapping``, ``layer``: how to read the files, as for
    ``load_file``. ``say`` hears each step; ``notify`` hears what a step waits for (a
    clustering run or a load outside this job holding the registry)."""
    from industry_clusters.cluster import run_clustering
    from industry_clusters.export import export
    from industry_clusters.load import load_file
    from industry_clusters.load.rejects import write_rejects

    t0 = time.monotonic()
    result = NightlyResult()

    def step(msg: str) -> None:
        result.steps.append(msg)
        say(msg)

    out = Path(export_dir) / "industry_clusters.gpkg" if export_dir else None
    # beside it, the rows the registry's load rejected, for whoever keeps the export
    rejects_out = Path(export_dir) / "rejects.csv" if export_dir else None
    with job_session(target, "nightly") as guard:
        # What would fail at a later step fails before the load: a wrong eps or an
        # export place that cannot be written must not leave a night half done.
        with user_parameters():
            guard.execute("SELECT clustering.check_dbscan_params(%s, %s)",
                          ([eps], [min_points]))
        if out:
            output_file(out, overwrite=True)
            output_file(rejects_out, overwrite=True)
        # The export, whole or in parts, is one load and one full refresh: enterprises
        # absent from every part are marked inactive, and a bad part loads nothing.
        res = load_file(target, files, crs=crs, fmt=fmt, encoding=encoding, mapping=mapping,
                        layer=layer, notify=notify)
        step(f"load {' + '.join(map(str, files))}: {res.summary()}")
        # the nightly run: every sector, jenks tiers, the registry as it is now
        params = {"eps": eps, "min_points": min_points, "sectors": None,
                  "tier_method": "jenks", "tier_params": {}, "as_of": None}
        keep = guard.execute(
            "SELECT NOT clustering.registry_changed_since_published() AND "
            "clustering.published_run_is(%(eps)s, %(min_points)s, %(sectors)s::text[], "
            "%(tier_method)s, %(tier_params)s, %(as_of)s::date)",
            params | {"tier_params": Jsonb(params["tier_params"])}).fetchone()[0]
        if not keep:
            run = run_clustering(target, **params, notify=notify)
            step(f"cluster: {run.summary()}; publish refreshed")
        else:
            step("cluster: registry unchanged since the published run, which has the nightly "
                 "parameters; publish kept")
        pruned = guard.execute("SELECT clustering.prune_runs(%s)", (keep_runs,)).fetchone()[0]
        loads, rows = guard.execute("SELECT * FROM registry.prune_rejects(%s)",
                                    (keep_rejects,)).fetchone()
        step(f"prune: {pruned} old clustering runs deleted (keeping {keep_runs}); rejected "
             f"rows of {loads} older loads deleted ({rows:,} rows; the newest {keep_rejects} "
             "loads keep theirs)")
        if out:
            counts = export(target, out, overwrite=True)
            step(f"export {out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
            # the latest load's: tonight's, or the one whose content tonight's file repeated
            found, n = write_rejects(target, rejects_out, overwrite=True)
            step(f"export {rejects_out}: {n:,} rejected rows of load run {found.load_run_id}")
    result.seconds = time.monotonic() - t0
    return result
