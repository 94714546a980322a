"""Publish: the layers and statistics in schema publish, read back for people.

The views themselves are SQL (sql/publish): each layer is a function of a clustering
run, ``publish.<layer>_of(run)``, and a materialized view of the published run,
``publish.<layer>``. This module picks one of the two (``layer_source``), checks a
run asked for by id (``check_run``), and reads the statistics for the ``stats`` and
``runs`` commands and the demo report.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from decimal import Decimal

from psycopg import sql

from industry_clusters.db import connect, migrate, snapshot
from industry_clusters.errors import UserError

# The statistics views and their display order.
STATS_VIEWS = {
    "district_sector_stats": "sector, district_code NULLS LAST, district_name",
    "tier_stats": "stat_id",
    "tier_structure": "stat_id",
}


# The columns of publish.cluster_runs the ``runs`` command prints.
RUN_COLUMNS = ("run_id", "status", "published", "started_at", "eps_m", "min_points", "method",
               "sectors", "as_of", "tier_method", "n_points", "n_clustered", "n_clusters")


def result_table(cur) -> tuple[list[str], list[tuple]]:
    """A query's result as (column names, rows): what ``render`` prints."""
    return [d.name for d in cur.description], cur.fetchall()


def layer_source(view: str, run: int | None) -> sql.Composable:
    """What to select a publish layer from: its view (the published run) or, for a
    given run, its function ``publish.<view>_of(run)``."""
    if run is None:
        return sql.SQL("publish.{}").format(sql.Identifier(view))
    return sql.SQL("publish.{}({})").format(sql.Identifier(f"{view}_of"), sql.Literal(int(run)))


def check_run(conn, run: int | None) -> None:
    """A run asked for by id must exist and have succeeded (only those have results)."""
    if run is None:
        return
    row = conn.execute("SELECT status FROM publish.cluster_runs WHERE run_id = %s",
                       (run,)).fetchone()
    if row is None:
        raise UserError(f"there is no clustering run {run}; `industry-clusters runs` lists them")
    if row[0] != "succeeded":
        raise UserError(f"clustering run {run} is {row[0]}, not succeeded: it has no results; "
                        "`industry-clusters runs` lists the runs")


def read_view(conn, view: str, run: int | None = None) -> tuple[list[str], list[tuple]]:
    if view not in STATS_VIEWS:
        raise ValueError(view)
    cur = conn.execute(sql.SQL("SELECT * FROM {} ORDER BY {}").format(
        layer_source(view, run), sql.SQL(STATS_VIEWS[view])))
    return result_table(cur)


def fetch_stats(target, views: list[str] | None = None,
                run: int | None = None) -> dict[str, tuple[list[str], list]]:
    with snapshot(target) as conn:  # every table from the same run, even mid-refresh
        check_run(conn, run)
        return {v: read_view(conn, v, run) for v in (views or STATS_VIEWS)}


NOTHING_PUBLISHED = ("Note: no clustering run is published yet, so the cluster layers and "
                     "statistics are empty; run `industry-clusters cluster` first")


def nothing_published(target) -> bool:
    """No run is published yet: the cluster layers and statistics are empty, which
    ``stats`` and ``export`` then say on stderr (empty tables alone looked like a city
    without clusters)."""
    with connect(target) as conn:
        return conn.execute("SELECT NOT EXISTS (SELECT FROM publish.cluster_runs "
                            "WHERE published)").fetchone()[0]


def fetch_runs(target, limit: int) -> tuple[list[str], list[tuple]]:
    """The latest clustering runs, newest first."""
    with connect(target) as conn:
        migrate.require_schema(conn)
        cur = conn.execute(
            sql.SQL("SELECT {} FROM publish.cluster_runs ORDER BY run_id DESC LIMIT %s").format(
                sql.SQL(", ").join(map(sql.Identifier, RUN_COLUMNS))), (limit,))
        return result_table(cur)


def _plain(v):
    if isinstance(v, Decimal):
        return float(v)
    return v


def render(stats: dict[str, tuple[list[str], list]], fmt: str, schema: str = "publish") -> str:
    """Tables as text, CSV (sections headed ``# schema.name``) or JSON."""
    if fmt == "json":
        return json.dumps({v: [dict(zip(cols, map(_plain, r), strict=True)) for r in rows]
                           for v, (cols, rows) in stats.items()}, ensure_ascii=False, indent=2,
                          default=str) + "\n"
    out = io.StringIO()
    for v, (cols, rows) in stats.items():
        if fmt == "csv":
            if len(stats) > 1:
                out.write(f"# {schema}.{v}\n")
            w = csv.writer(out, lineterminator="\n")
            w.writerow(cols)
            w.writerows([cell_text(v) for v in r] for r in rows)
        else:
            out.write(f"{schema}.{v}\n{text_table(cols, rows)}\n\n")
    return out.getvalue().rstrip("\n") + "\n"


def cell_text(v) -> str:
    """A value as text and CSV show it (stats and CSV exports): lists joined by commas,
    booleans as SQL and JSON write them (CSV wrote Python's ['comms', 'software'] and
    True until 2026-11-25)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ", ".join(map(cell_text, v))
    if isinstance(v, datetime.datetime):
        return v.isoformat(sep=" ", timespec="seconds")
    return str(v)


def _float_text(v: float) -> str:
    """A float as a text table shows it: at most 6 decimals (0.1 m in longitude or
    latitude, a micrometre in metres), not the 15 digits of its repr."""
    s = f"{v:.6f}".rstrip("0")
    return s + "0" if s.endswith(".") else s


def text_table(cols: list[str], rows: list) -> str:
    """A plain aligned table; East Asian characters count as two columns. Floats show
    at most 6 decimals here; CSV and JSON keep every digit."""
    import unicodedata

    def width(s: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)

    cells = [[_float_text(v) if isinstance(v, float) else cell_text(v) for v in r]
             for r in rows]
    w = [max([width(c)] + [width(r[i]) for r in cells]) for i, c in enumerate(cols)]

    def line(vals):
        return "  ".join(v + " " * (w[i] - width(v)) for i, v in enumerate(vals)).rstrip()

    return "\n".join([line(cols), line(["-" * x for x in w])] + [line(r) for r in cells])
