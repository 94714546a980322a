"""Publish: the statistics in schema publish, read back for people.

The views themselves are SQL (sql/publish); this module reads them for the ``stats``
command and the demo report.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from psycopg import sql

from industry_clusters.db import connect, migrate

# The statistics views and their display order.
STATS_VIEWS = {
    "district_sector_stats": "sector, district_code NULLS LAST, district_name",
    "tier_stats": "stat_id",
    "tier_structure": "stat_id",
}


def read_view(conn, view: str) -> tuple[list[str], list[tuple]]:
    if view not in STATS_VIEWS:
        raise ValueError(view)
    cur = conn.execute(sql.SQL("SELECT * FROM publish.{} ORDER BY {}").format(
        sql.Identifier(view), sql.SQL(STATS_VIEWS[view])))
    return [d.name for d in cur.description], cur.fetchall()


def fetch_stats(target, views: list[str] | None = None) -> dict[str, tuple[list[str], list]]:
    with connect(target) as conn:
        migrate.require_schema(conn)
        return {v: read_view(conn, v) for v in (views or STATS_VIEWS)}


def _plain(v):
    if isinstance(v, Decimal):
        return float(v)
    return v


def render(stats: dict[str, tuple[list[str], list]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps({v: [dict(zip(cols, map(_plain, r), strict=True)) for r in rows]
                           for v, (cols, rows) in stats.items()}, ensure_ascii=False, indent=2,
                          default=str)
    out = io.StringIO()
    for v, (cols, rows) in stats.items():
        if fmt == "csv":
            if len(stats) > 1:
                out.write(f"# publish.{v}\n")
            w = csv.writer(out, lineterminator="\n")
            w.writerow(cols)
            w.writerows(rows)
        else:
            out.write(f"publish.{v}\n{text_table(cols, rows)}\n\n")
    return out.getvalue().rstrip("\n") + "\n"


def text_table(cols: list[str], rows: list) -> str:
    """A plain aligned table; East Asian characters count as two columns."""
    import unicodedata

    def width(s: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)

    cells = [[("" if v is None else str(v)) for v in r] for r in rows]
    w = [max([width(c)] + [width(r[i]) for r in cells]) for i, c in enumerate(cols)]

    def line(vals):
        return "  ".join(v + " " * (w[i] - width(v)) for i, v in enumerate(vals)).rstrip()

    return "\n".join([line(cols), line(["-" * x for x in w])] + [line(r) for r in cells])
