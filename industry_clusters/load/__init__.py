"""Load: a registry export -> registry.enterprises, screened as in the study.

``load_file`` streams the file into a staging table with ``COPY``, lets
the database screen every row (``registry.screen_load``: rules live in tables users
can edit), records rejects, and upserts the accepted rows (``registry.merge_load``),
all in one transaction. The load run row is committed first, so a killed load is
visible afterwards (marked abandoned at the next start) while its data is not.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from industry_clusters.db import INACTIVE_AS, hold_registry, job_session, run_transaction
from industry_clusters.db.region import outside_region
from industry_clusters.errors import UserError
from industry_clusters.load import columns
from industry_clusters.load.readers import (
    FORMATS,
    PREAMBLE_MAX,
    NotClean,
    csv_continuing,
    detect_format,
    open_sources,
    unreadable,
)
from industry_clusters.load.unproject import crs_name
from industry_clusters.paths import as_text

CRS_CHOICES = ("wgs84", "gcj02", "bd09", "cgcs2000")


@dataclass
class LoadResult:
    load_run_id: int | None
    status: str  # succeeded | skipped
    file: str
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0
    previous_run_id: int | None = None
    preamble: int = 0  # lines above the header, skipped (registry.load_runs.preamble)
    workbook: bool = False  # read from a workbook: its lines are rows
    not_read: list[dict] = field(default_factory=list)  # sheets with values not read
    headerless: list[dict] = field(default_factory=list)  # parts read with another's header
    # the load run that read the same content the same way, though with other rules
    rescreened: int | None = None
    # the projected CRS each part's points were unprojected from: (None, crs) where
    # every part's were, from one CRS; else (its label, crs) for each part that was
    unprojected: list[tuple[str | None, str]] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.counts.get("read", 0) / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        notes = "".join(f"; sheet {n['sheet']!r} of {Path(n['file']).name} not read: "
                        f"{n['why']} ({n['hint']})" for n in self.not_read)
        notes += "".join(f"; {s['part']} has no header row: read with that of "
                         f"{s['header_from']}" for s in self.headerless)
        if self.status == "skipped":
            return (f"{self.file}: already loaded with the same content (load run "
                    f"{self.previous_run_id}); nothing to do (--force loads it again){notes}")
        c = self.counts
        parts = [f"load run {self.load_run_id}: read {c['read']}, accepted {c['accepted']}, "
                 f"rejected {c['rejected']}"]
        if c.get("by_reason"):
            parts.append("(" + ", ".join(f"{k} {v}" for k, v in c["by_reason"].items()) + ")")
        by = c.get("deactivated_by") or {}
        why = [f"{label} {by[k]}" for k, label in INACTIVE_AS.items() if by.get(k)]
        deactivated = f"deactivated {c['deactivated']}" + (f" ({', '.join(why)})" if why else "")
        # inactive before the load, their reason or status as the file now reports it
        anew = f", inactive reported anew {c['restated']}" if c.get("restated") else ""
        history = f", kept as history {c['history']}" if c.get("history") else ""
        unit = "row" if self.workbook else "line"
        above = (f"; {self.preamble} {unit}{'s' if self.preamble > 1 else ''} above the header "
                 "skipped (registry.load_runs.preamble)" if self.preamble else "")
        again = (f"; the same content as load run {self.rescreened}, loaded again: the rules, "
                 "the region or the loader changed since" if self.rescreened else "")
        unprojected = "".join(
            f"; {f'the points of {label}' if label else 'its points'} unprojected from "
            f"{crs_name(crs)}" for label, crs in self.unprojected)
        return (" ".join(parts) + f"; inserted {c['inserted']}, updated {c['updated']}, "
                f"unchanged {c['unchanged']}, {deactivated}{anew}{history}"
                f"{above}{again}{unprojected}; {self.seconds:.1f} s "
                f"({self.rows_per_second:,.0f} rows/s){notes}")


def file_digest(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        try:
            while chunk := f.read(1 << 20):
                h.update(chunk)
                size += len(chunk)
        except OSError as exc:  # an I/O error: a traceback until 2026-11-25
            raise unreadable(path, exc, f) from None
    return h.hexdigest(), size


# A load reads its file more than once (its hash, then its rows, then its size and time
# again), so the input must be a regular file: a pipe could be read only once.
_SAVE_FIRST = ("a load reads its input more than once, so it must be a regular file: "
               "save it first (curl -o registry.csv ...)")


def _check_file(path: Path) -> Path:
    if str(path) == "-":
        raise UserError(f"standard input cannot be loaded: {_SAVE_FIRST}")
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_dir():
        raise UserError(f"{path} is a directory; give the export file in it")
    if not path.is_file():
        raise UserError(f"{path} is a pipe or a device, not a file: {_SAVE_FIRST}")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise UserError(f"{path}: cannot read it ({exc.strerror})") from None
    return path


def _check_crs(crs: str | None) -> str:
    if not crs:
        raise UserError("say which coordinate system the coordinates are in: --crs gcj02 for "
                        "Amap geocodes, bd09 for Baidu, wgs84 for GPS, cgcs2000")
    if crs not in CRS_CHOICES:
        raise UserError(f"unknown --crs {crs!r}; choose one of {', '.join(CRS_CHOICES)}")
    return crs


def _why_so_few(conn: psycopg.Connection, run_id: int, counts: dict,
                full_refresh: bool) -> str:
    """What the mass-deactivation guard asks: whether the file is complete (an
    incremental file: whether it says so many closed or no longer digital), or, where
    the file's rows are mostly rejected, why, by its commonest reason and the first such
    row's message (coordinates in a projected CRS's metres, a column mapped wrong): the
    file may well be complete, and asking whether it was misled the operator."""
    if counts["rejected"] <= counts["accepted"]:
        if full_refresh:
            return "is the file complete?"
        by = counts["deactivated_by"]
        return (f"it reports {by['closed']:,} closed and {by['non_digital']:,} in no digital "
                "sector; is it read right (--map)?")
    reason, n = max(counts["by_reason"].items(), key=lambda kv: kv[1])
    row, message = conn.execute(
        "SELECT file_row, message FROM registry.rejects WHERE load_run_id = %s AND "
        "reason = %s ORDER BY part NULLS FIRST, line_no LIMIT 1", (run_id, reason)).fetchone()
    at = f"row {row}" if row is not None else "the first"
    return (f"{counts['rejected']:,} of the file's {counts['read']:,} rows were rejected, "
            f"{n:,} as {reason} ({at}: {message}); is the file read right (--map, --crs)?")


def start_run(conn: psycopg.Connection, kind: str, path: Path | str, digest: str, size: int,
              fmt: str, crs: str, encoding: str | None, mapping: dict,
              full_refresh: bool, preamble: list[dict] | None = None,
              layers: list[str] | None = None, not_read: list[dict] | None = None,
              layer_crs: str | None = None) -> int:
    """Commit a 'running' load-run row (conn in autocommit) and return its id."""
    return conn.execute(
        "INSERT INTO registry.load_runs (kind, file_name, file_sha256, file_bytes, format, crs,"
        " encoding, mapping, full_refresh, preamble, layers, not_read, layer_crs)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING load_run_id",
        (kind, as_text(path), digest, size, fmt, crs, encoding, Jsonb(mapping), full_refresh,
         Jsonb(preamble) if preamble else None, layers, Jsonb(not_read) if not_read else None,
         layer_crs),
    ).fetchone()[0]


# The last successful load, if it read the same content the same way, and whether it
# screened it with the rules of today: a load is skipped only then. Not any earlier one:
# a registry that went back to an earlier night's export (A, then B, then A again) must
# be loaded again, or B's state would stay. For a full refresh, the last full refresh:
# the night's export run again after a partial file was loaded (--incremental) would
# undo that file. Rules edited since, a new region or an upgrade that changed the
# parsers (registry.screening_signature) load the same content again.
SAME_AS_LAST_LOAD = """
SELECT load_run_id, screening IS NOT DISTINCT FROM registry.screening_signature() FROM (
    SELECT * FROM registry.load_runs WHERE kind = 'enterprises' AND status = 'succeeded'
       AND (full_refresh OR NOT %(full_refresh)s)
    ORDER BY load_run_id DESC LIMIT 1) AS last
WHERE file_sha256 = %(sha256)s AND crs = %(crs)s AND encoding IS NOT DISTINCT FROM %(encoding)s
  AND mapping = %(mapping)s AND full_refresh = %(full_refresh)s
  AND layers IS NOT DISTINCT FROM %(layers)s
"""


# How many of the values are valid credit codes, by the screening's own rule.
VALID_CREDIT_CODES = """
SELECT count(*) FILTER (WHERE registry.credit_code_valid(
                                  registry.credit_code_form(registry.field_value(c))))
FROM unnest(%s::text[]) AS c
"""


def continues_export(conn, mapping: dict[str, str] | None) -> Callable[[list[str], list[list[str]]],
                                                             bool]:
    """Whether a part without a header row (a workbook's sheet, a CSV file) holds more
    rows of the export whose header is given: none of its first rows has values beyond
    that header's columns, and most carry a valid credit code in its credit code
    column. A notes or summary sheet does not; the later sheets of a portal that writes
    the header on the first sheet only do, as do the later files of ``split -l``."""
    def test(header: list[str], rows: list[list[str]]) -> bool:
        try:
            col = columns.resolve(header, mapping)["credit_code"]
        except UserError:  # the export's header lacks a column; the load says which
            return False
        rows = [r for r in rows if any(v.strip() for v in r)]
        if not rows or any(v.strip() for r in rows for v in r[len(header):]):
            return False
        codes = [r[col] if col < len(r) else "" for r in rows]
        return 2 * conn.execute(VALID_CREDIT_CODES, (codes,)).fetchone()[0] > len(codes)
    return test


# Records a failed load (parameters: run id, error message); see db.run_transaction.
FAIL_LOAD = "SELECT registry.finish_load(%s, 'failed', '{}'::jsonb, %s)"


def _parts(path) -> list[Path]:
    """The file, or the files that are the parts of one export, checked readable."""
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    if not paths:
        raise UserError("no file to load")
    paths = [_check_file(p) for p in paths]
    seen: dict[Path, Path] = {}
    for p in paths:
        if (real := p.resolve()) in seen:
            raise UserError(f"{p} is given twice; give each part of the export once")
        seen[real] = p
    return paths


def _check_headers(sources: list, labels: list[str]) -> None:
    """The parts of one export share one header: the same columns in the same order."""
    first = sources[0].headers
    for src, label in zip(sources[1:], labels[1:], strict=True):
        if src.headers == first:
            continue
        missing = [h for h in first if h not in src.headers]
        extra = [h for h in src.headers if h not in first]
        what = "; ".join(x for x in (
            f"it lacks {', '.join(map(repr, missing[:5]))}" if missing else "",
            f"it has {', '.join(map(repr, extra[:5]))} besides" if extra else "") if x) \
            or "the same columns in another order"
        raise UserError(f"{label} is not a part of the same export as {labels[0]}: its "
                        f"header differs ({what}); load it on its own with --incremental")


def load_file(target, path, *, crs: str | None, fmt: str | None = None,
              encoding: str = "auto", mapping: dict[str, str] | None = None,
              force: bool = False, full_refresh: bool = True,
              layer: str | list[str] | None = None,
              max_deactivate: float = 0.5,
              progress: Callable[[int, int], None] | None = None,
              notify: Callable[[str], None] | None = None) -> LoadResult:
    """Load one registry export: one file, or several (a list of paths) that are the parts
    of one export, loaded as one (one transaction, one full refresh over all of them).
    ``layer``: the layer of a GeoPackage or GeoJSON (default: the only one, or the only
    point layer), or the sheet of a workbook (default: every sheet of the export's header,
    readers.workbook_sources); a list: the layers or sheets of each file, read as parts of
    the export. Raises UserError for
    anything the user can fix. ``notify`` hears of a wait (a clustering run holding the
    registry)."""
    paths = _parts(path)
    layers = [layer] if isinstance(layer, str) else list(layer or []) or None
    if layers and len(set(layers)) < len(layers):
        raise UserError("--layer names a layer twice; give each layer or sheet once")
    formats = {detect_format(p, fmt) for p in paths}
    if len(formats) > 1:
        raise UserError(f"the parts of one export must have one format, not "
                        f"{', '.join(sorted(formats))}; load the others on their own with "
                        "--incremental")
    fmt = formats.pop()
    if fmt not in FORMATS:
        raise UserError(f"unknown --format {fmt!r}; choose one of {', '.join(FORMATS)}")
    crs = _check_crs(crs)
    t0 = time.monotonic()
    signatures = [_signature(p) for p in paths]  # before the hash: both must see one file
    digests = [file_digest(p) for p in paths]
    if len(paths) == 1:
        (digest, size), name = digests[0], paths[0].name
    else:  # the set of parts, in order
        digest = hashlib.sha256("\n".join(["parts"] + [d for d, _ in digests]).encode()
                                ).hexdigest()
        size = sum(n for _, n in digests)
        name = " + ".join(p.name for p in paths)

    with job_session(target, "load") as conn:
        sources, not_read = [], []  # not_read: a workbook's sheets passed over
        src_paths = []  # the file of each source (a workbook gives one per sheet read)
        is_header = columns.header_matcher(mapping)
        is_rows_of = continues_export(conn, mapping)
        try:
            for p in paths:
                opened, passed_over = open_sources(p, fmt, encoding, layers, is_header,
                                                   is_rows_of)
                sources += opened
                src_paths += [p] * len(opened)
                not_read += passed_over
            export = next((s for s in sources if is_header(s.headers)), None)
            for i, src in enumerate(sources):
                if src.fmt == "csv" and export is not None and not is_header(src.headers):
                    sources[i] = _continuing(src, src_paths[i], encoding, export, is_rows_of)
            labels = [_label(src, p, src_paths.count(p) > 1)
                      for src, p in zip(sources, src_paths, strict=True)]
            if len(sources) > len(paths):
                name = " + ".join(labels)
            headerless = [{"part": label, "header_from": labels[_part_of(src.header_from,
                                                                         sources)]}
                          for src, label in zip(sources, labels, strict=True)
                          if src.header_from]
            _check_headers(sources, labels)
            first = sources[0]
            fields = columns.resolve(first.headers, mapping, first.implicit, labels[0])
            # the projected CRS the points were unprojected from, where they are the
            # location (parts in different ones: None, each part's in parts)
            by_geometry = _located_by_geometry(first, fields)
            unprojected = {s.unprojected_from for s in sources} if by_geometry else {None}
            layer_crs = unprojected.pop() if len(unprojected) == 1 else None
            # and as the summary names them: the load's, else each part's
            said = [(None, layer_crs)] if layer_crs else [
                (label, s.unprojected_from) for s, label in zip(sources, labels, strict=True)
                if by_geometry and s.unprojected_from]
            # how the content is read: the same content read the same way as by the last
            # load is not loaded again
            read = {"sha256": digest, "crs": crs, "full_refresh": full_refresh,
                    "encoding": ", ".join(dict.fromkeys(
                        s.encoding for s in sources if s.encoding)) or None,
                    "mapping": Jsonb({k: first.headers[v] for k, v in fields.items()}),
                    "layers": [s.layer for s in sources] if first.layer is not None else None}
            prev = conn.execute(SAME_AS_LAST_LOAD, read).fetchone()
            if prev and prev[1] and not force:
                return LoadResult(None, "skipped", name, previous_run_id=prev[0],
                                  not_read=not_read, headerless=headerless)
            rescreened = prev[0] if prev and not prev[1] and not force else None
            # the lines above the header (a title, a note), kept with the run: not records,
            # but not dropped unseen either
            preamble = [{"part": (i + 1) if len(sources) > 1 else None, "line": n, "text": t}
                        for i, src in enumerate(sources)
                        for n, t in enumerate(src.preamble, 1)]
            # the format read (an XLSX named .xls is read as XLSX)
            run_id = start_run(conn, "enterprises", ", ".join(map(str, paths)), digest, size,
                               ", ".join(dict.fromkeys(s.fmt for s in sources)),
                               crs, read["encoding"], read["mapping"].obj, full_refresh,
                               preamble or None, read["layers"], not_read or None,
                               layer_crs)
            digest_of = dict(zip(paths, digests, strict=True))
            counts = _load_transaction(conn, run_id, sources,
                                       [(p, digest_of[p]) for p in src_paths], fields,
                                       crs, full_refresh, max_deactivate, force, size,
                                       progress, notify, dict(zip(paths, signatures,
                                                                  strict=True)), by_geometry)
        finally:
            for src in sources:
                src.close()
    return LoadResult(run_id, "succeeded", name, counts, time.monotonic() - t0,
                      preamble=len(preamble), workbook=first.fmt in ("xlsx", "xls"),
                      not_read=not_read, headerless=headerless,
                      rescreened=rescreened, unprojected=said)


def _continuing(src, path: Path, encoding: str, export, is_rows_of):
    """A CSV part without a header row, read from its first line with the header of
    ``export`` when its first rows are rows of that export (continues_export); else as
    it was opened, its first row taken for a header (which _check_headers refuses)."""
    more = csv_continuing(path, encoding, export)
    top = list(itertools.islice(more.records, PREAMBLE_MAX))
    if not is_rows_of(export.headers, [r.values for r in top]):
        more.close()
        return src
    src.close()
    more.records = itertools.chain(top, more.records)
    return more


def _part_of(src, sources: list) -> int:
    """The index of a source among the parts (by identity)."""
    return next(i for i, s in enumerate(sources) if s is src)


def _label(src, path: Path, several: bool) -> str:
    """How a source is named in messages: its file, and its sheet or layer when the file
    gives several."""
    return f"{path.name} ({'sheet' if src.fmt in ('xlsx', 'xls') else 'layer'} " \
           f"{src.layer!r})" if several else path.name


def _located_by_geometry(src, fields: dict[str, int]) -> bool:
    """Whether the location is the layer's point geometry, not columns mapped to it."""
    return bool(src.implicit) and fields.get("lon") == src.implicit["lon"]


def _stage(conn, sources, sizes: list[int], progress,
           notes: bool = False) -> tuple[list[int], str]:
    """Stream the files (the parts of one export, in order) into load_work.staging; return
    the number of records of each and who parsed them ('server' or 'python').

    A clean UTF-8 CSV is parsed by the server (``COPY ... FORMAT csv``: ~30x faster than
    Python's parser plus a row-by-row COPY). Anything the server rejects (bad encoding,
    NUL bytes, a wrong field count, an unterminated quote) or might read differently
    rolls back to a savepoint and the files go through Python's reader, which flags
    such rows one by one for the rejects table. ``notes``: the readers' notes on the
    location (what a feature has instead of a point) are kept for the rejects' messages.
    """
    width = len(sources[0].headers)
    size = sum(sizes)
    cols = sql.SQL(", ").join(sql.Identifier(f"c{i}") for i in range(1, width + 1))
    if all(src.server_copy is not None for src in sources):
        try:
            with conn.transaction(), conn.cursor() as cur:  # a savepoint
                cur.execute("SELECT registry.begin_load(%s)", (width,))
                counts = []
                for i, src in enumerate(sources):
                    spec, before = src.server_copy, sum(sizes[:i])  # parts already read
                    stmt = sql.SQL("COPY load_work.staging ({}) FROM STDIN (FORMAT csv, "
                                   "DELIMITER {}, ENCODING 'UTF8')").format(
                        cols, sql.Literal(spec.delimiter))
                    with cur.copy(stmt) as cp:
                        for chunk in spec.chunks():
                            cp.write(chunk)
                            if progress:  # file bytes, compressed or not, as sizes are
                                progress(before + spec.position(), size)
                    counts.append(cur.rowcount)
                return counts, "server"
        except (NotClean, psycopg.errors.DataError):
            pass  # rolled back to the savepoint: read them the careful way
    conn.execute("SELECT registry.begin_load(%s)", (width,))
    stmt = sql.SQL("COPY load_work.staging ({}, pre_reason, pre_message, pre_raw, pre_row) "
                   "FROM STDIN").format(cols)
    counts = []
    with conn.cursor().copy(stmt) as cp:
        dumps = json.dumps
        blank = [None] * width
        for i, src in enumerate(sources):
            before, n = sum(sizes[:i]), 0  # before: the bytes of the parts already read
            for n, rec in enumerate(src.records, 1):
                if rec.reason is None:
                    cp.write_row((*rec.values, None, rec.message if notes else None, None,
                                  rec.row))
                else:  # kept as read, whatever its length, for the rejects table
                    cp.write_row((*(rec.values + blank)[:width], rec.reason, rec.message,
                                  dumps(rec.values, ensure_ascii=False), rec.row))
                if progress and n % 20000 == 0:
                    progress(before + src.position(), size)
            counts.append(n)
    return counts, "python"


def _parts_record(sources: list, files: list[tuple[Path, tuple[str, int]]],
                  records: list[int], by_geometry: bool) -> list[dict] | None:
    """registry.load_runs.parts: each part of a load of several (a file, or a sheet or
    layer of one), and its records' numbers in the load (what maps a reject to its part),
    and the projected CRS its points were unprojected from; None for a load of one
    part."""
    if len(sources) == 1:
        return None
    firsts = [1 + sum(records[:i]) for i in range(len(records))]
    return [{"part": i, "file": as_text(p), **({"layer": src.layer} if src.layer else {}),
             **({"header_from": _part_of(src.header_from, sources) + 1}
                if src.header_from else {}),
             **({"layer_crs": src.unprojected_from}
                if by_geometry and src.unprojected_from else {}),
             "sha256": d, "bytes": b, "first_line": f, "records": r}
            for i, (src, (p, (d, b)), f, r) in enumerate(zip(sources, files, firsts, records,
                                                             strict=True), 1)]


def _signature(path: Path) -> tuple[int, int] | None:
    """Size and modification time; None once the file is gone."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _load_transaction(conn, run_id, sources, files, fields, crs, full_refresh,
                      max_deactivate, force, size, progress, notify, signatures,
                      by_geometry) -> dict:
    """``files``: the file of each source, and its (sha256, bytes); ``signatures``: each
    file's before it was read; ``by_geometry``: the location is a layer's points."""
    headers = columns.unique_headers(sources[0].headers)
    with run_transaction(conn, FAIL_LOAD, run_id):
        # for the progress, a file's bytes are shared by its sources (a workbook's sheets)
        shares = [b // sum(q == p for q, _ in files) for p, (_, b) in files]
        records, parser = _stage(conn, sources, shares, progress, by_geometry)
        # A file still being written (an upstream copy not finished at the nightly hour)
        # reads as a shorter export: its missing firms would be marked inactive.
        for p, before in signatures.items():
            if _signature(p) != before:
                raise UserError(f"{p.name} changed while it was read; it may still be being "
                                "written: load it again once it is complete (nothing loaded)")
        n = sum(records)
        parts = _parts_record(sources, files, records, by_geometry)
        conn.execute("UPDATE registry.load_runs SET parser = %s, parts = %s, rows_above = %s "
                     "WHERE load_run_id = %s",
                     (parser, Jsonb(parts) if parts else None,
                      [src.rows_above for src in sources], run_id))
        if progress:
            progress(size, size)
        if n == 0 and full_refresh:
            raise UserError("the file has a header but no data rows; a full refresh would "
                            "mark every enterprise inactive (use --incremental to load it)")
        every_field = {f: fields.get(f) for f in columns.FIELDS}  # None: not in the file
        counts = conn.execute("SELECT registry.screen_load(%s, %s, %s, %s)",
                              (run_id, Jsonb(every_field), headers, crs)).fetchone()[0]
        # nothing accepted, all outside the region: a nightly job would cluster nothing
        if hint := outside_region(conn, counts, "coordinates_outside_region", "a registry"):
            raise UserError(f"none of the {counts['read']} rows was accepted: {hint}, else "
                            "check which columns hold the longitude and latitude (--map); "
                            "nothing loaded")
        hold_registry(conn, "load", notify)  # the writes begin: no clustering run meanwhile
        merged = conn.execute("SELECT registry.merge_load(%s, %s, %s, %s)",
                              (run_id, crs, full_refresh, counts["accepted"])).fetchone()[0]
        counts.update(merged)
        # the mass-deactivation guard (without --force); merge_load counts the active
        # enterprises there were before it (active_before) on a full refresh, and on an
        # incremental load whose rows say some closed or left the digital sectors
        active_before = counts.get("active_before") or 0
        if not force and active_before and \
                counts["deactivated"] > max_deactivate * active_before:
            kind = "full refresh" if full_refresh else "incremental load"
            raise UserError(
                f"this {kind} would mark {counts['deactivated']} of {active_before} active "
                f"enterprises inactive (more than {max_deactivate:.0%}); "
                f"{_why_so_few(conn, run_id, counts, full_refresh)} Use --force to accept"
                + (", or --incremental for a partial file" if full_refresh else ""))
        if not counts["read"] == counts["accepted"] + counts["rejected"] == n:
            raise RuntimeError(f"row accounting broke: {n} streamed, {counts}")
        conn.execute("SELECT registry.end_load()")
        conn.execute("SELECT registry.finish_load(%s, 'succeeded', %s)",
                     (run_id, Jsonb(counts)))
    return counts
