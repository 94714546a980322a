"""Cluster: ST_ClusterDBSCAN inside PostGIS, then publish.

``run_clustering`` records the run (committed, so a killed run is visible and marked
abandoned at the next start), then computes clusters, tiers and refreshes the
published views in one transaction: a failure changes nothing readers see.
The same work is one call from psql: ``SELECT clustering.run(500, 30);``.

With ``jobs`` > 1 the run's points are labelled in that many shares on as many
connections at once (``clustering.label_share``: sectors, and within a sector parts
never within eps of each other, so the labels are the single query's), every one
reading the snapshot of the run's transaction; the transaction then builds the
clusters from their labels.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed, wait
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
LABEL_METHODS = ("auto", "points", "cells")  # clustering.label_share
LABEL_SHARE = "SELECT clustering.label_share(%s, %s, %s)"  # run, share, shares


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


def label_concurrently(target, conn: psycopg.Connection, run_id: int, jobs: int) -> None:
    """Label the run's points in shares on up to ``jobs`` connections at once, ``conn``
    and ``jobs`` - 1 helpers (``clustering.label_share``: exact shares of sectors or of
    their connected parts, of similar size).

    ``conn`` is in the run's transaction, which holds the registry (hold_registry): it
    exports its snapshot, and every helper imports it, so all of them read the same
    registry whatever loads wait meanwhile, and compute the same split of it. Each
    helper commits its labels to the work tables, where compute, back in the run's
    transaction, finds them with those of ``conn``. A failure on any connection
    cancels the others and fails the run.

    A helper that cannot connect (no connection slot free on a busy server, say) is not
    an error: the points are split in as many shares as connections are there, all of
    them in ``conn`` (by ``clustering.compute``) when no helper connected. The run is
    then slower, not failed."""
    snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
    helpers: list[psycopg.Connection] = []
    try:
        for _ in range(jobs - 1):  # one at a time: those opened are closed if anything fails
            try:
                helpers.append(job_connection(target))
            except UserError:
                break
        if not helpers:
            return
        shares = len(helpers) + 1
        with ThreadPoolExecutor(shares) as pool:
            futures = [pool.submit(conn.execute, LABEL_SHARE, (run_id, 0, shares))]
            futures += [pool.submit(_label, h, snapshot, run_id, share, shares)
                        for share, h in enumerate(helpers, 1)]
            try:
                for f in as_completed(futures):
                    f.result()
            except BaseException:
                _cancel_until_done([conn, *helpers], futures)
                raise
    finally:
        for h in helpers:
            h.close()


def _cancel_until_done(conns: list[psycopg.Connection], futures: list) -> None:
    """Cancel what the connections run until every labelling thread has ended. Once is
    not enough: a cancel reaches only the statement running at that moment, and a
    helper may have been between statements (in _label) and then start its share."""
    while True:
        for c in conns:
            c.cancel()
        if not wait(futures, timeout=0.5).not_done:
            return


def _label(conn: psycopg.Connection, snapshot: str, run_id: int, share: int,
           shares: int) -> None:
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
        conn.execute(LABEL_SHARE, (run_id, share, shares))


def refresh(target) -> None:
    """Publish the latest succeeded run: refresh every view in publish to it
    (concurrently: readers keep the old rows meanwhile;
    the first publication of clusters rebuilds publish.enterprises, see
    sql/publish/020_refresh.sql)."""
    with connect(target) as conn:
        migrate.require_schema(conn)
        conn.execute("SELECT clustering.refresh_published()")
        conn.commit()
