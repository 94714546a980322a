"""The rows a load rejected, for whoever keeps the export: counted by reason, or written
out as a CSV of the file's own columns beside where each row was and why it was left
out (``industry-clusters rejects``). Corrected in the CSV, the rows load again with
``load --incremental``: the loader reads the file's columns by their headers and passes
over the four in front.

The rows come from ``registry.reject_records`` (sql/load/080_rejects.sql), streamed
through a server-side cursor: a load of a million rows may reject a hundred thousand.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import psycopg

from industry_clusters.db import BATCH, connect, in_batches, migrate
from industry_clusters.errors import UserError
from industry_clusters.paths import replacing
from industry_clusters.publish import cell_text, text_table

# the columns in front of the file's own: where the row was (the file, and the row there
# as Excel or WPS numbers it) and why it was left out
FRONT = ("reject_file", "reject_row", "reject_reason", "reject_message")


@dataclass
class LoadRejects:
    """A load and its rejects, counted by reason (``registry.load_runs``)."""
    load_run_id: int
    file_name: str
    finished_at: object
    rows_read: int
    by_reason: dict[str, int]
    pruned_at: object  # when its rows were deleted (the nightly job keeps the newest)
    descriptions: dict[str, str]

    def summary(self) -> str:
        """The load and its rejects by reason, as a table."""
        total = sum(self.by_reason.values())
        when = f", {cell_text(self.finished_at)}" if self.finished_at else ""
        head = (f"load run {self.load_run_id} ({self.file_name}{when}): {total:,} of "
                f"{self.rows_read:,} rows rejected")
        if self.pruned_at is not None:
            head += (f"; its rows were deleted on {self.pruned_at:%Y-%m-%d} (--keep-rejects), "
                     "the counts remain")
        if not total:
            return head + "\n"
        rows = [(r, n, self.descriptions.get(r, ""))
                for r, n in sorted(self.by_reason.items(), key=lambda kv: (-kv[1], kv[0]))]
        return f"{head}\n{text_table(['reason', 'rows', 'meaning'], rows)}\n"


LOAD = """
SELECT l.load_run_id, l.file_name, l.finished_at, l.rows_read,
       coalesce(l.rejected_by_reason, '{}'::jsonb), l.rejects_pruned_at
  FROM registry.load_runs l
 WHERE l.status = 'succeeded'
   AND CASE WHEN %(run)s::bigint IS NULL THEN l.kind = 'enterprises'
            ELSE l.load_run_id = %(run)s END
 ORDER BY l.load_run_id DESC LIMIT 1
"""


def find_load(conn, run: int | None) -> LoadRejects:
    """The succeeded load ``run``, or the latest succeeded load of a registry."""
    migrate.require_schema(conn)
    found = conn.execute(LOAD, {"run": run}).fetchone()
    if found is None:
        if run is None:
            raise UserError("no registry has been loaded yet: load one with "
                            "industry-clusters load FILE --crs CRS")
        raise UserError(f"there is no succeeded load run {run}; the loads are in "
                        "registry.load_runs (db status shows the last)")
    descriptions = dict(conn.execute("SELECT reason, description FROM registry.reason_codes"))
    return LoadRejects(*found, descriptions=descriptions)


def load_rejects(target, run: int | None = None) -> LoadRejects:
    with connect(target) as conn:
        return find_load(conn, run)


def write_rejects(target, output: Path, *, run: int | None = None,
                  reasons: list[str] | None = None,
                  overwrite: bool = False) -> tuple[LoadRejects, int]:
    """Write the rejected rows of load ``run`` (default: the latest registry load) to
    ``output`` as CSV: the FRONT columns, then the file's own, in the file's order.
    UTF-8 with a byte-order mark, as the CSV exports (Excel reads Chinese right only
    so). Returns the load and the rows written."""
    with replacing(output, overwrite, "csv") as part, connect(target) as conn:
        # the load, its columns and its rows from one snapshot, whatever a nightly
        # prune deletes meanwhile
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        found = find_load(conn, run)
        unknown = sorted(set(reasons or ()) - set(found.descriptions))
        if unknown:
            raise UserError(f"unknown reason {unknown[0]!r}; reasons are "
                            + ", ".join(sorted(found.descriptions)))
        if found.pruned_at is not None:
            raise UserError(f"the rejected rows of load run {found.load_run_id} were deleted "
                            f"on {found.pruned_at:%Y-%m-%d} (the nightly job keeps those of the "
                            "newest loads, --keep-rejects); their counts remain: "
                            "industry-clusters rejects --load-run "
                            f"{found.load_run_id}")
        columns = conn.execute("SELECT registry.reject_columns(%s)",
                               (found.load_run_id,)).fetchone()[0]
        count = 0
        with open(part, "w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow([*FRONT, *columns])
            with conn.cursor(name="rejects") as cur:
                cur.itersize = BATCH
                cur.execute('SELECT file, "row", reason, message, "values" '
                            "FROM registry.reject_records(%s, %s, %s)",
                            (found.load_run_id, reasons or None, columns))
                for rows in in_batches(cur):
                    count += len(rows)
                    w.writerows([*(cell_text(v) for v in r[:4]), *(v or "" for v in r[4])]
                                for r in rows)
    return found, count
