"""Cluster: ST_ClusterDBSCAN inside PostGIS, then publish.

``run_clustering`` records the run (committed, so a killed run is visible and marked
abandoned at the next start), then computes clusters, tiers and refreshes the
published views in one transaction: a failure changes nothing readers see.
The same work is one call from psql: ``SELECT clustering.run(500, 30);``.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from psycopg.types.json import Jsonb

from industry_clusters.db import connect, job_session, migrate, run_transaction, user_parameters

TIER_METHODS = ("jenks", "quantile", "absolute")


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
        th = "; ".join(f"{s}: core >= {t['core']}, medium >= {t['medium']}"
                       for s, t in self.tiers.get("thresholds", {}).items())
        return (f"clustering run {self.run_id}: {self.clusters} clusters, {self.clustered} of "
                f"{self.points} enterprises clustered; tiers ({self.tiers.get('method')}) {th}; "
                f"{self.seconds:.1f} s")


def run_clustering(target, *, eps: float = 500.0, min_points: int = 30,
                   sectors: list[str] | None = None, tier_method: str = "jenks",
                   tier_params: dict | None = None, as_of: dt.date | None = None,
                   refresh: bool = True) -> RunResult:
    t0 = time.monotonic()
    with job_session(target, "cluster") as conn:
        with user_parameters():
            run_id = conn.execute(
                "SELECT clustering.start_run(%s, %s, %s, %s, %s, %s)",
                (eps, min_points, sectors or None, tier_method, Jsonb(tier_params or {}),
                 as_of)).fetchone()[0]
        with run_transaction(conn, "SELECT clustering.fail_run(%s, %s)", run_id):
            out = conn.execute("SELECT clustering.compute(%s)", (run_id,)).fetchone()[0]
            if refresh:
                conn.execute("SELECT clustering.refresh_published()")
    return RunResult(run_id, out["points"], out["clustered"], out["clusters"], out["timings"],
                     out["tiers"], time.monotonic() - t0)


def refresh(target) -> None:
    """Refresh every view in publish (concurrently: readers keep the old rows meanwhile)."""
    with connect(target) as conn:
        migrate.require_schema(conn)
        conn.execute("SELECT clustering.refresh_published()")
        conn.commit()
