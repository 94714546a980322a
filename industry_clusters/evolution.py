"""Cluster evolution between two runs: lineage events, growth and district change.

The matching itself happens in the database when a run is computed
(sql/cluster/040_lineage.sql); the report reads the publish functions built on it
(sql/publish/050_evolution.sql), so analysts get the same answers in psql.
"""

from __future__ import annotations

from psycopg import sql

from industry_clusters.db import snapshot
from industry_clusters.errors import UserError
from industry_clusters.publish import check_run, result_table

# report section -> (publish function, row limit applies)
SECTIONS = {
    "evolution_events": False,
    "cluster_growth": True,
    "district_change": False,
}


def evolution_report(target, run_from: int, run_to: int,
                     top: int = 10) -> dict[str, tuple[list[str], list]]:
    with snapshot(target) as conn:  # every section from one state (a prune may run)
        check_run(conn, run_from)
        check_run(conn, run_to)
        chain = conn.execute("SELECT count(*) FROM publish.run_chain(%s, %s)",
                             (run_from, run_to)).fetchone()[0]
        if not chain:
            raise UserError(
                f"run {run_from} is not an earlier run of run {run_to}'s series (same eps, min "
                "points and sectors, linked by previous_run_id); `industry-clusters runs` "
                "lists them")
        out = {}
        for name, limited in SECTIONS.items():
            q = sql.SQL("SELECT * FROM publish.{}(%s, %s)").format(sql.Identifier(name))
            if limited:
                q += sql.SQL(" LIMIT %s")
            cur = conn.execute(q, (run_from, run_to, top) if limited else (run_from, run_to))
            out[name] = result_table(cur)
        return out
