"""The nightly job: load -> cluster -> refresh -> export, for cron or a systemd timer.

One log line per step and a summary; the caller exits 0 only if every step succeeded.
A second nightly job at the same time is refused (advisory lock). Running twice on
the same input changes nothing: the file is recognised by its hash and, when no load
changed the registry and the published run has the same parameters, clustering is
skipped and publish is left as it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from industry_clusters.db import job_session


@dataclass
class NightlyResult:
    steps: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_nightly(target, files: list[Path], *, crs: str, export_dir: Path | None = None,
                keep_runs: int = 7, eps: float = 500.0, min_points: int = 30,
                say: Callable[[str], None] = print,
                notify: Callable[[str], None] | None = None) -> NightlyResult:
    """``say`` hears each step; ``notify`` hears what a step waits for (a clustering run
    or a load outside this job holding the registry)."""
    from industry_clusters.cluster import run_clustering
    from industry_clusters.export import export
    from industry_clusters.load import load_file

    t0 = time.monotonic()
    result = NightlyResult()

    def step(msg: str) -> None:
        result.steps.append(msg)
        say(msg)

    with job_session(target, "nightly") as guard:
        # One complete export is a full refresh; several files are parts, loaded
        # incrementally (nothing is deactivated for being absent from one part).
        full = len(files) == 1
        for f in files:
            res = load_file(target, f, crs=crs, full_refresh=full, notify=notify)
            step(f"load {f}: {res.summary()}")
        same_params = guard.execute(
            "SELECT eps_m = %s AND min_points = %s FROM clustering.runs "
            "WHERE run_id = clustering.published_run()", (eps, min_points)).fetchone()
        changed = guard.execute(
            "SELECT clustering.registry_changed_since_published()").fetchone()[0]
        if changed or not (same_params and same_params[0]):
            run = run_clustering(target, eps=eps, min_points=min_points, notify=notify)
            step(f"cluster: {run.summary()}; publish refreshed")
        else:
            step("cluster: registry unchanged since the published run; publish kept")
        pruned = guard.execute("SELECT clustering.prune_runs(%s)", (keep_runs,)).fetchone()[0]
        step(f"prune: {pruned} old clustering runs deleted (keeping {keep_runs})")
        if export_dir:
            out = Path(export_dir) / "industry_clusters.gpkg"
            counts = export(target, out, overwrite=True)
            step(f"export {out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    result.seconds = time.monotonic() - t0
    return result
