"""Cluster: ST_ClusterDBSCAN inside PostGIS, then publish.

``run_clustering`` records the run (committed, so a killed run is visible and marked
abandoned at the next start), then computes clusters, tiers and refreshes the
published views in one transaction: a failure changes nothing readers see.
The same work is one call from psql: ``SELECT clustering.run(500, 30);``.

Sectors are DBSCAN's partitions, so with ``jobs`` > 1 they are labelled on that many
connections at once (``clustering.label_sectors``), every one reading the snapshot of
the run's transaction; the transaction then builds the clusters from their labels.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from industry_clusters.db import (
    connect,
    hold_registry,
    job_connection,
    job_session,
    migrate,
    run_transaction,
    user_parameters,
)
from industry_clusters.errors import UserError

TIER_METHODS = ("jenks", "quantile", "absolute")
LABEL_METHODS = ("auto", "points", "cells")  # clustering.label_sectors


@dataclass
class RunResult:
    run_id: int
    points: int
    clustered: int
    clusters: int
    timings: dict
    tiers: dict
    seconds: float

    def summary(self) -> str:
        th = "; ".join(f"{s}: core >= {t['core']}, " + (
            f"medium >= {t['medium']}" if t["medium"] <= t["core"]
            # jenks with fewer than three distinct sizes (clustering.assign_tiers)
            else "no medium tier (fewer than three cluster sizes)")
            for s, t in self.tiers.get("thresholds", {}).items())
        empty = ("; no enterprise to cluster (the registry holds none of these sectors "
                 "active, or at --as-of): load a registry file first" if not self.points else "")
        return (f"clustering run {self.run_id}: {self.clusters} clusters, {self.clustered} of "
                f"{self.points} enterprises clustered; tiers ({self.tiers.get('method')}) "
                f"{th or 'none: no cluster'}; {self.seconds:.1f} s{empty}")


def run_clustering(target, *, eps: float = 500.0, min_points: int = 30,
                   sectors: list[str] | None = None, tier_method: str = "jenks",
                   tier_params: dict | None = None, as_of: dt.date | None = None,
                   jobs: int = 2, method: str = "auto", refresh: bool = True,
                   notify: Callable[[str], None] | None = None) -> RunResult:
    t0 = time.monotonic()
    with job_session(target, "cluster") as conn:
        with user_parameters():
            run_id = conn.execute(
                "SELECT clustering.start_run(%s, %s, %s, %s, %s, %s, %s)",
                (eps, min_points, sectors or None, tier_method, Jsonb(tier_params or {}),
                 as_of, method)).fetchone()[0]
        with run_transaction(conn, "SELECT clustering.fail_run(%s, %s)", run_id):
            hold_registry(conn, "cluster", notify)  # one state of it, helpers included
            if jobs > 1:
                label_concurrently(target, conn, run_id, jobs)
            out = conn.execute("SELECT clustering.compute(%s)", (run_id,)).fetchone()[0]
            if refresh:
                conn.execute("SELECT clustering.refresh_published()")
    return RunResult(run_id, out["points"], out["clustered"], out["clusters"], out["timings"],
                     out["tiers"], time.monotonic() - t0)


def sector_groups(sizes: list[tuple[int, int]], jobs: int) -> list[list[int]]:
    """Sectors (id, enterprises) in at most ``jobs`` groups of similar size: the largest
    first, each to the group with the fewest enterprises so far. Empty groups dropped."""
    groups: list[tuple[int, list[int]]] = [(0, []) for _ in range(max(jobs, 1))]
    for sector, n in sorted(sizes, key=lambda s: (-s[1], s[0])):
        i = min(range(len(groups)), key=lambda k: (groups[k][0], k))
        groups[i] = (groups[i][0] + n, groups[i][1] + [sector])
    return [sorted(g) for _, g in groups if g]


def label_groups(conn: psycopg.Connection, run_id: int, jobs: int) -> list[list[int]]:
    """The run's sectors in groups, one connection each: a sector each when there are
    no more sectors than jobs (without counting their enterprises first: 1 s at a
    million), else groups of similar size (sector_groups)."""
    sectors = conn.execute("SELECT sector_ids FROM clustering.runs WHERE run_id = %s",
                           (run_id,)).fetchone()[0]
    if len(sectors) <= jobs:
        return [[s] for s in sorted(sectors)]
    sizes = conn.execute("SELECT sector_id, count(*) FROM clustering.run_points(%s) "
                         "GROUP BY 1", (run_id,)).fetchall()
    return sector_groups(sizes, jobs)


def label_concurrently(target, conn: psycopg.Connection, run_id: int, jobs: int) -> None:
    """Label the run's sectors on up to ``jobs`` connections at once.

    ``conn`` is in the run's transaction: it exports its snapshot, and every helper
    connection imports it, so all of them cluster the same registry whatever loads
    commit meanwhile. Each helper commits its labels to the work tables; compute, back
    in the run's transaction, reads them. A failure on any connection cancels the
    others and fails the run. Nothing is done with fewer than two groups.

    A helper that cannot connect (no connection slot free on a busy server, say) is not
    an error: its sectors are left to ``clustering.compute``, which labels every sector
    no helper did in the run's own connection. The run is then slower, not failed."""
    groups = label_groups(conn, run_id, jobs)
    if len(groups) < 2:
        return
    snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
    helpers: list[psycopg.Connection] = []
    try:
        for _ in groups:  # one at a time: those opened are closed if anything fails
            try:
                helpers.append(job_connection(target))
            except UserError:
                break
        if not helpers:
            return
        with ThreadPoolExecutor(len(helpers)) as pool:
            futures = [pool.submit(_label, h, snapshot, run_id, g)
                       for h, g in zip(helpers, groups[:len(helpers)], strict=True)]
            try:
                for f in futures:
                    f.result()
            except BaseException:
                for h in helpers:
                    h.cancel()
                raise
    finally:
        for h in helpers:
            h.close()


def _label(conn: psycopg.Connection, snapshot: str, run_id: int, sector_ids: list[int]) -> None:
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
        conn.execute("SELECT clustering.label_sectors(%s, %s::smallint[])", (run_id, sector_ids))


def refresh(target) -> None:
    """Publish the latest succeeded run: refresh every view in publish to it
    (concurrently: readers keep the old rows meanwhile;
    the first publication of clusters rebuilds publish.enterprises, see
    sql/publish/020_refresh.sql)."""
    with connect(target) as conn:
        migrate.require_schema(conn)
        conn.execute("SELECT clustering.refresh_published()")
        conn.commit()
