"""Streaming readers for registry exports: CSV (also gzip-, bzip2- or xz-compressed),
XLSX, GeoJSON, GeoPackage.

Each reader yields records as lists of strings, never holding the file in memory.
Rows the reader cannot take as they are still come out, flagged with a reason
(``bad_encoding``, ``nul_byte``, ``field_count``, ``malformed_row``) so that the
load rejects them with the rest: nothing read is dropped.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import datetime as dt
import glob
import gzip
import io
import itertools
import json
import lzma
import math
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from industry_clusters.errors import UserError, first_line
from industry_clusters.load.unproject import unprojector
from industry_clusters.paths import as_text, format_from_suffix

FORMATS = ("csv", "xlsx", "xls", "geojson", "gpkg")
_EXT = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
        ".xls": "xls", ".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg"}
# Compressed CSV, known by its first bytes (the name may say .csv): decompressed as it
# is read, never unpacked to disk. The same extensions are stripped to find the format.
_COMPRESSED = {b"\x1f\x8b": gzip.open, b"BZh": bz2.open, b"\xfd7zXZ\x00": lzma.open}
_COMPRESSED_EXT = (".gz", ".bz2", ".xz")
_ARCHIVES = {b"PK\x03\x04": "zip archive", b"7z\xbc\xaf\x27\x1c": "7-Zip archive",
             b"Rar!": "RAR archive"}
ENCODINGS = ("auto", "utf-8", "gb18030")
GEOMETRY_COLUMNS = ("geometry_lon", "geometry_lat")

csv.field_size_limit(16 * 1024 * 1024)  # huge business-scope fields are legal
_BAD_CHARS = re.compile("[\x00\udc00-\udcff]")


def _escape_bytes(exc: UnicodeError) -> tuple[str, int]:
    """Like ``surrogateescape``, but for any byte (UTF-16 can fail on bytes below 0x80,
    which surrogateescape refuses): bad byte b becomes U+DC00 + b, never an exception."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "".join(chr(0xDC00 + b) for b in exc.object[exc.start:exc.end]), exc.end


codecs.register_error("industry_clusters_escape", _escape_bytes)


@dataclass
class Record:
    values: list[str]
    reason: str | None = None  # set when the reader could not take the row as it is
    # why, with a reason; without one, what the reader saw of a location it could not
    # give (a point layer's feature whose geometry is no point), for the screening's
    # message should the row be rejected as coordinates_missing
    message: str | None = None
    # the row of its file where it is, as Excel or WPS numbers the rows (title lines, the
    # header and blank rows counted; a CSV value over several lines is one row); None
    # where that is its record number plus the source's rows_above (a layer's features)
    row: int | None = None


@dataclass
class ServerCopy:
    """A CSV file the database server may parse itself (``COPY ... FORMAT csv``): UTF-8,
    data starting at byte ``offset``. The loader falls back to ``records`` (Python's
    parser, which flags bad rows one by one) as soon as the server refuses the data or
    ``chunks`` finds something the two parsers could read differently."""
    path: Path
    offset: int
    delimiter: str
    position: callable = lambda: 0  # file bytes read so far by ``chunks``, for progress

    def stray_quote(self) -> re.Pattern[bytes]:
        """A quote inside an unquoted field: Python's csv keeps it as text, PostgreSQL
        would open a quoted section, so such files take the Python path. Written to
        start with the quote itself (the neighbours are look-arounds), so that the
        regex engine skips to each quote instead of testing every byte: 0.1 s instead
        of 5.7 s over a 237 MB file."""
        d = re.escape(self.delimiter.encode())
        other = rb'[^' + d + rb'\r\n"]'
        return re.compile(rb'"(?=' + other + rb')(?<=' + other + rb'")')

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        """The data bytes; raises NotClean where the server's reading could differ from
        Python's (a stray quote, or a line ``\\.`` that ends COPY data early)."""
        stray = self.stray_quote()
        tail = b""
        f, raw = open_binary(self.path)
        with f, raw:
            self.position = raw.tell
            f.seek(self.offset)  # forward only: a compressed stream decompresses up to it
            while chunk := _read(f, size, self.path):
                probe = tail + chunk
                if b"\\." in probe or (b'"' in probe and stray.search(probe)):
                    raise NotClean
                tail = chunk[-2:]
                yield chunk


class NotClean(Exception):
    """The file needs the Python reader (see ServerCopy.chunks)."""


@dataclass
class Source:
    fmt: str
    headers: list[str]
    records: Iterator[Record]
    encoding: str | None = None
    implicit: dict[str, int] | None = None  # fields the reader supplies (geometry lon/lat)
    position: callable = lambda: 0  # bytes consumed so far, for progress
    server_copy: ServerCopy | None = None  # set when the server may parse the file itself
    close: callable = lambda: None  # releases the file if ``records`` was never read to its end
    preamble: list[str] = field(default_factory=list)  # lines above the header (a title)
    # the projected CRS a point layer's points were unprojected from (load/unproject.py)
    unprojected_from: str | None = None
    layer: str | None = None  # the layer or sheet read (None for a CSV)
    header_from: Source | None = None  # a part without a header row: the one whose it has
    delimiter: str | None = None  # a CSV's
    # the rows above the first record (title lines and the header; 0 for a part without
    # a header row, and for a layer): a record's row where blank rows do not come between
    rows_above: int = 0


def detect_format(path: Path, fmt: str | None) -> str:
    if path.suffix.lower() in _COMPRESSED_EXT:  # registry.csv.gz is a CSV
        inner = format_from_suffix(path.with_suffix(""), fmt, _EXT, "input")
        if inner != "csv":
            raise UserError(f"{path.name} is compressed; only a CSV is read compressed: "
                            f"decompress it first")
        return inner
    if path.suffix.lower() == ".et" and not fmt:  # WPS's own
        raise UserError(f"{path.name} is a WPS workbook; save it as .xlsx or CSV "
                        "(File > Save As) and load that")
    if path.suffix.lower() == ".zip" and not fmt:
        raise UserError(f"{path.name} is a zip archive; extract the export from it first "
                        f"(unzip {path.name})")
    return format_from_suffix(path, fmt, _EXT, "input")


_DECOMPRESS_ERRORS = (OSError, EOFError, lzma.LZMAError)  # gzip: BadGzipFile is an OSError


def unreadable(path: Path, exc: Exception, stream) -> UserError:
    """The error for a file whose reading failed: a compressed one is corrupt or
    truncated; a plain one could not be read from its disk (an I/O error, a mount gone),
    where it was once told "cannot be decompressed" too."""
    if isinstance(stream, (gzip.GzipFile, bz2.BZ2File, lzma.LZMAFile)):
        return UserError(f"{path.name} cannot be decompressed, it is corrupt or truncated "
                         f"({exc}); fetch it again")
    return UserError(f"{path.name} could not be read ({exc}); check the disk or network "
                     "share it is on, or copy it to a local disk, and load it again")


def _read(f, size: int, path: Path) -> bytes:
    try:
        return f.read(size)
    except _DECOMPRESS_ERRORS as exc:
        raise unreadable(path, exc, f) from None


def open_binary(path: Path):
    """``(stream, raw)``: the file's bytes, decompressed if it is gzip, bzip2 or xz (by
    its first bytes), and the file itself, whose ``tell()`` counts the bytes read from
    disk (progress is measured against the file's size). Both are the same object for a
    plain file."""
    raw = open(path, "rb")  # noqa: SIM115 - the caller closes both
    magic = raw.read(6)
    raw.seek(0)
    for prefix, opener in _COMPRESSED.items():
        if magic.startswith(prefix):
            return opener(raw, "rb"), raw
    return raw, raw


# How far down a CSV or sheet the header is looked for: exports often open with a title
# or a note ("佛山市企业名录（2024年）", "数据来源：...") above it.
PREAMBLE_MAX = 10


def open_sources(path: Path, fmt: str, encoding: str = "auto",
                 layers: list[str] | None = None,
                 is_header: Callable[[list[str]], bool] | None = None,
                 continues: Callable[[list[str], list[list[str]]], bool] | None = None
                 ) -> tuple[list[Source], list[dict]]:
    """The sources of one file, and what of it is not read: a workbook's sheets, each
    ``{file, sheet, why, hint}`` (registry.load_runs.not_read).
    A CSV is one; a GDAL file is the layer asked for, or each of ``layers`` (--layer,
    repeated), or its only point layer; a workbook is the sheets asked for, or every
    sheet of the export's header (workbook_sources). ``is_header``: tells the header row
    among the first PREAMBLE_MAX rows of a CSV or sheet (the rows above it are the
    preamble, kept in Source.preamble); without it, or when no row passes, the first row
    is the header. ``continues``: whether a workbook's sheet without a header holds more
    rows of the export (workbook_sources)."""
    if layers and fmt == "csv":
        raise UserError("--layer is for a GeoPackage's layer or a workbook's sheet, not a CSV")
    if encoding != "auto" and fmt != "csv":  # it was ignored
        raise UserError(f"--encoding is for a CSV; {path.name} is {fmt.upper()}, whose text "
                        "is Unicode by its format: leave --encoding out")
    if fmt == "csv":
        return [_csv(path, encoding, is_header)], []
    if fmt in ("xlsx", "xls"):
        return workbook_sources(_xlsx(path) if fmt == "xlsx" else _xls(path), layers,
                                is_header, continues)
    sources: list[Source] = []
    try:
        for layer in layers or [None]:
            sources.append(_ogr(path, fmt, layer))
    except BaseException:
        for src in sources:
            src.close()
        raise
    return sources, []


def _header_index(rows: list[list[str]], is_header) -> int:
    """The header's index among the first rows: the first row if it passes ``is_header``
    (or there is none), else the first one below it that does, else the first row."""
    if is_header is None or not rows or is_header(rows[0]):
        return 0
    return next((i for i, r in enumerate(rows) if is_header(r)), 0)


# -- CSV ------------------------------------------------------------------------
def detect_encoding(sample: bytes) -> str:
    """utf-8-sig (BOM), utf-8 or gb18030 (a superset of GBK), from a leading sample.

    The header line decides when it has non-ASCII text (Chinese headers do); else the
    whole sample. Rows that do not decode later are rejected as bad_encoding.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    header = sample.split(b"\n", 1)[0]
    probe = header if not header.isascii() else sample
    for enc in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(enc)().decode(probe, final=False)
            return enc
        except UnicodeDecodeError:
            continue
    return "utf-8"


def _sanitise(values: list[str]) -> tuple[list[str], str, str]:
    """Make undecodable bytes and NULs visible (\\xNN) and say which it was."""
    joined = "".join(values)
    reason = "nul_byte" if "\x00" in joined else "bad_encoding"
    fixed = [_BAD_CHARS.sub(lambda m: f"\\x{(ord(m.group()) & 0xFF):02x}", v) for v in values]
    msg = ("the row contains NUL characters (shown as \\x00)" if reason == "nul_byte" else
           "the row has bytes that are not valid text in this encoding (shown as \\xNN)")
    return fixed, reason, msg


def csv_continuing(path: Path, encoding: str, export: Source) -> Source:
    """A CSV part without a header row (``split -l`` cuts a file so): read from its
    first line with the header and delimiter of ``export``, the part that has them."""
    src = _csv(path, encoding, header=export.headers, delimiter=export.delimiter)
    src.header_from = export
    return src


def _csv(path: Path, encoding: str, is_header=None, header: list[str] | None = None,
         delimiter: str | None = None) -> Source:
    # closed by the record generator or Source.close (stream closes raw with it)
    stream, raw = open_binary(path)

    def refuse(message: str) -> UserError:
        stream.close()
        raw.close()
        return UserError(message)

    try:
        sample = _read(stream, 1 << 16, path)
    except UserError as exc:
        raise refuse(str(exc)) from None
    if kind := next((k for m, k in _ARCHIVES.items() if sample.startswith(m)), None):
        raise refuse(f"{path.name} is a {kind}, not a CSV: extract the export from it "
                     f"first (a workbook: pass --format xlsx)")
    if not sample.strip():
        raise refuse(f"{path.name} is empty: expected a header row and data rows")
    enc = detect_encoding(sample) if encoding == "auto" else encoding
    if encoding == "utf-8" and sample.startswith(codecs.BOM_UTF8):
        enc = "utf-8-sig"
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=enc, errors="industry_clusters_escape",
                            newline="")
    # the first lines, each split with the delimiter it has most of: one of them is the
    # header (a title line above it has few or none)
    lines = [line for line in itertools.islice(iter(text.readline, ""), PREAMBLE_MAX)]
    if header is None:
        split = [_fields(ln) for ln in lines]
        h = _header_index(split, is_header)
        first = lines[h] if lines else ""
        if _BAD_CHARS.search(first):
            hint = "gb18030" if enc.startswith("utf") else "utf-8"
            raise refuse(f"the header of {path.name} is not valid {enc}; try --encoding {hint}")
        delimiter = _delimiter(first)
        header = split[h] if lines else []
        if not any(x.strip() for x in header):
            raise refuse(f"{path.name} has no header row")
    else:  # a part without one: every line is a record
        h = -1
    width = len(header)
    preamble = [_sanitise([ln.rstrip("\r\n")])[0][0] for ln in lines[:max(h, 0)]]
    reader = csv.reader(itertools.chain(lines[h + 1:], text), delimiter=delimiter)

    def records() -> Iterator[Record]:
        with stream, raw:
            for at in itertools.count(h + 2):  # the row in the file, as Excel numbers it
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except _DECOMPRESS_ERRORS as exc:  # the whole file is refused, not a row
                    raise unreadable(path, exc, stream) from None
                except csv.Error as exc:
                    yield Record([], "malformed_row",
                                 f"the CSV parser could not read the row: {exc}", row=at)
                    continue
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # a blank line is not a record
                if _BAD_CHARS.search("".join(row)):
                    values, reason, msg = _sanitise(row)
                    yield Record(values, reason, msg, row=at)
                elif len(row) != width:
                    yield Record(row, "field_count",
                                 f"the row has {len(row)} fields, the header has {width}",
                                 row=at)
                else:
                    yield Record(row, row=at)

    server = None
    if enc in ("utf-8", "utf-8-sig") and width >= 2:  # one column: blank lines would differ
        f, r = open_binary(path)
        with f, r:
            offset = sum(len(f.readline()) for _ in range(h + 1))
        if not offset and enc == "utf-8-sig":  # a part without a header: after its BOM
            offset = len(codecs.BOM_UTF8)
        server = ServerCopy(path, offset, delimiter)

    def close() -> None:
        stream.close()
        raw.close()

    return Source("csv", header, records(), enc, position=raw.tell, server_copy=server,
                  close=close, preamble=preamble, delimiter=delimiter, rows_above=h + 1)


def _delimiter(line: str) -> str:
    return max(",;\t|", key=line.count)


def _fields(line: str) -> list[str]:
    """One of the first lines split with the delimiter it has most of; [] for one the
    CSV parser cannot read (a field over its 16 MiB limit): not the header."""
    try:
        return next(csv.reader([line], delimiter=_delimiter(line)), [])
    except csv.Error:
        return []


# -- XLSX -----------------------------------------------------------------------
def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (dt.datetime, dt.date)):
        return v.date().isoformat() if isinstance(v, dt.datetime) else v.isoformat()
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


class Workbook:
    """An open XLSX or XLS workbook whose sheets are read as sources. It is released when
    the last user lets go of it: the one who opened it (``close``) and each sheet's source
    (at the end of its records, or when closed)."""

    def __init__(self, path: Path, fmt: str, names: list[str],
                 rows: Callable[[str], Iterator[list[str]]], release: Callable[[], None],
                 hidden: set[str] | None = None):
        self.path, self.fmt, self.names, self._rows, self._release = \
            path, fmt, names, rows, release
        self.hidden = hidden or set()  # the sheets Excel does not show
        self._users = 0
        self.close = self._user()  # the opener's hold

    def _user(self) -> Callable[[], None]:
        self._users += 1
        done = False

        def let_go() -> None:
            nonlocal done
            if not done:
                done = True
                self._users -= 1
                if self._users == 0:
                    self._release()
        return let_go

    def _open(self, name: str) -> tuple[Iterator[list[str]], list[list[str]], Callable]:
        """A sheet's rows, its first PREAMBLE_MAX of them read, and the user's hold on
        the workbook (let go if the reading fails)."""
        close = self._user()
        try:
            rows = self._rows(name)
            return rows, list(itertools.islice(rows, PREAMBLE_MAX)), close
        except BaseException:
            close()
            raise

    def sheet(self, name: str, is_header) -> Source | None:
        """The sheet's records, or None for a blank sheet (no value in its first rows)."""
        rows, top, close = self._open(name)
        h = _header_index(top, is_header)
        header = top[h] if top else []
        while header and not header[-1].strip():
            header.pop()
        if not header:
            close()
            return None
        preamble = [",".join(v for v in r if v.strip()) for r in top[:h]]
        return Source(self.fmt, header, _sheet_records(itertools.chain(top[h + 1:], rows),
                                                       len(header), close, h + 1),
                      preamble=preamble, close=close, layer=name, rows_above=h + 1)

    def continuation(self, name: str, export: Source, continues) -> Source | None:
        """The sheet read from its first row with the header of sheet ``export``, when
        ``continues(header, first_rows)`` says its rows are more of that export; else None."""
        rows, top, close = self._open(name)
        try:
            if not continues(export.headers, top):
                close()
                return None
        except BaseException:
            close()
            raise
        return Source(self.fmt, export.headers,
                      _sheet_records(itertools.chain(top, rows), len(export.headers), close),
                      close=close, layer=name, header_from=export)


def _sheet_records(rows: Iterator[list[str]], width: int, close: Callable[[], None],
                   above: int = 0) -> Iterator[Record]:
    """A sheet's rows below its header (``above``: the sheet's rows above them), its cells
    read as text (_cell): blank rows skipped, a row with values beyond the header's
    columns rejected as field_count, one with a formula the file holds no value of as
    formula_not_calculated. Each record's row is its row in the sheet."""
    try:
        for at, values in enumerate(rows, above + 1):
            uncached = getattr(values, "uncached", None)
            if not any(v.strip() for v in values) and not uncached:
                continue
            extra = values[width:]
            values = (list(values) + [""] * width)[:width]
            if uncached:
                yield Record(values + [x for x in extra if x.strip()],
                             "formula_not_calculated",
                             f"cell {uncached} is a formula whose value the file does not "
                             "hold (a program that does not calculate formulas wrote it): "
                             "open the file in Excel or WPS and save it, then load it", row=at)
            elif any(x.strip() for x in extra):
                yield Record(values + extra, "field_count",
                             f"the row has values beyond the {width} header columns", row=at)
            elif _BAD_CHARS.search("".join(values)):
                fixed, reason, msg = _sanitise(values)
                yield Record(fixed, reason, msg, row=at)
            else:
                yield Record(values, row=at)
    finally:
        close()


def workbook_sources(book: Workbook, sheets: list[str] | None, is_header,
                     continues=None) -> tuple[list[Source], list[dict]]:
    """The sheets of a workbook to load as the parts of one export, and each sheet with
    values that is not read ({file, sheet, why, hint}). ``sheets``: those asked for
    (--layer), in that order. Without, every sheet whose header is the export's: the
    first sheet with a header naming known fields sets it (a workbook of more than
    65,536 rows in XLS form is split by its portal over sheets of one header; a notes
    sheet, or a blank one, is passed over). A sheet with no header row (some portals
    write the header on the first sheet only) is read with the export's header when
    ``continues(header, its first rows)`` holds (load.continues_export: they carry valid
    credit codes in its credit code column). When no sheet names known fields, the
    first sheet with values is read, and the columns it lacks are reported."""
    path = book.path
    opened: list[Source] = []  # closed if anything fails
    try:
        for name in sheets or []:
            if name not in book.names:
                raise UserError(f"{path.name} has no sheet {name!r}; sheets: "
                                f"{', '.join(book.names)}")
        hidden = []  # not read unless asked for: a user of the workbook does not see them
        for name in sheets or book.names:
            src = book.sheet(name, is_header)
            if src is not None and not sheets and name in book.hidden:
                src.close()
                hidden.append({"file": as_text(path), "sheet": name, "why": "it is hidden",
                               "hint": "--layer reads it"})
            elif src is not None:
                opened.append(src)
            elif sheets:
                raise UserError(f"{path.name}: sheet {name!r} is empty: expected a header "
                                "row")
        if not opened and hidden:
            raise UserError(f"{path.name} has values on hidden sheets only "
                            f"({', '.join(h['sheet'] for h in hidden)}): name the sheet to "
                            "read with --layer")
        if not opened:
            raise UserError(f"{path.name} has no sheet with values: expected a header row "
                            f"(sheets: {', '.join(book.names)})")
        export = next((s for s in opened if is_header and is_header(s.headers)), opened[0])
        sources, skipped = [], []
        for i, src in enumerate(opened):
            if src.headers == export.headers:
                sources.append(src)
                continue
            headed = is_header and is_header(src.headers)
            more = (None if headed or continues is None else
                    book.continuation(src.layer, export, continues))
            if more is not None:
                src.close()
                opened[i] = more
                sources.append(more)
            elif sheets:  # asked for: refused with the other header (_check_headers)
                sources.append(src)
            else:
                src.close()
                skipped.append(
                    {"file": as_text(path), "sheet": src.layer,
                     "why": f"its header is not that of sheet {export.layer!r}",
                     "hint": "--layer reads it"} if headed else
                    {"file": as_text(path), "sheet": src.layer,
                     "why": "no row of its first ones names known columns, and they are "
                            f"not rows of sheet {export.layer!r}",
                     "hint": f"rows of the export need the header row of sheet "
                             f"{export.layer!r}"})
        return sources, sorted(hidden + skipped, key=lambda n: book.names.index(n["sheet"]))
    except BaseException:
        for src in opened:
            src.close()
        raise
    finally:
        book.close()


# In a sheet's XML: a merged range, and a cell whose formula has no cached value (the
# <f> element, then no <v> or an empty one, then the cell's end). Markup inside text is
# escaped (&lt;), so neither matches a value.
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+)([0-9]+):[A-Z]+([0-9]+)"')
_UNCACHED = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)([0-9]+)"[^>]*>\s*'
                       rb'<(?:\w+:)?f\b(?:[^>]*/>|[^>]*>[^<]*</(?:\w+:)?f>)\s*'
                       rb'(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*'
                       rb'</(?:\w+:)?c>')


def _column(letters: bytes) -> int:
    """A column's number from its letters (A = 1, AA = 27)."""
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _xlsx_scan(archive, part: str) -> tuple[list[tuple[int, int, int]], dict[int, str]]:
    """One pass over a sheet's XML (openpyxl's read-only mode gives neither): its
    merged ranges of more than one row, as (column, first row, last row), and the rows
    holding a formula without a cached value (row -> the first such cell)."""
    merges: set[tuple[int, int, int]] = set()
    uncached: dict[int, str] = {}
    tail = b""
    with archive.open(part) as f:
        while chunk := f.read(1 << 20):
            probe = tail + chunk
            if b"mergeCell" in probe:
                merges.update((_column(m[1]), int(m[2]), int(m[3]))
                              for m in _MERGE.finditer(probe) if int(m[3]) > int(m[2]))
            if b"f>" in probe or b"f/>" in probe or b"<f " in probe:
                for m in _UNCACHED.finditer(probe):
                    uncached.setdefault(int(m[2]), (m[1] + m[2]).decode())
            tail = probe[-(1 << 14):]
    return sorted(merges, key=lambda m: m[1]), uncached


class _Row(list):
    """A sheet's row of values, and its first cell whose formula has no cached value."""
    uncached: str | None = None


def _merged_down(rows: Iterator[list[str]], merges: list[tuple[int, int, int]],
                 uncached: dict[int, str]) -> Iterator[list[str]]:
    """Rows with each merged range's value in every row it spans (what Excel shows; the
    file holds it in the first row only: a district merged over its firms' rows read as
    empty below the first), in the range's first column; rows holding an uncalculated
    formula marked (_Row.uncached)."""
    active: list[tuple[int, int, str]] = []  # (column, last row, value)
    k = 0
    for r, values in enumerate(rows, 1):
        active = [a for a in active if a[1] >= r]
        while k < len(merges) and merges[k][1] <= r:
            col, first, last = merges[k]
            k += 1
            if first == r:
                active.append((col, last, values[col - 1] if col <= len(values) else ""))
        for col, _, value in active:
            if col > len(values):
                values = values + [""] * (col - len(values))
            if not values[col - 1].strip():
                values[col - 1] = value
        if r in uncached:
            values = _Row(values)
            values.uncached = uncached[r]
        yield values


def _xlsx(path: Path) -> Workbook:
    import openpyxl

    # opened as a file, not by name: openpyxl refuses a name not ending in .xlsx, and
    # portals hand out XLSX files named .xls
    f = open(path, "rb")  # noqa: SIM115 - closed with the workbook
    try:
        wb = openpyxl.load_workbook(f, read_only=True, data_only=True)
    except Exception as exc:  # InvalidFileException, zipfile.BadZipFile, KeyError...
        f.close()
        raise UserError(f"{path.name} is not a readable XLSX workbook: {exc}") from None

    def release() -> None:
        wb.close()
        f.close()

    def rows(name: str) -> Iterator[list[str]]:
        ws = wb[name]
        if not hasattr(ws, "iter_rows"):  # a chart sheet: no cells, a blank sheet
            return iter(())
        values = ([_cell(v) for v in r] for r in ws.iter_rows(values_only=True))
        # openpyxl's own (not public): the workbook's archive and the sheet's part in it
        archive, part = getattr(wb, "_archive", None), getattr(ws, "_worksheet_path", None)
        if archive is None or part is None:
            return values
        merges, uncached = _xlsx_scan(archive, part)
        return _merged_down(values, merges, uncached) if merges or uncached else values

    hidden = {n for n in wb.sheetnames if wb[n].sheet_state != "visible"}
    return Workbook(path, "xlsx", list(wb.sheetnames), rows, release, hidden)


# An Excel 97-2003 workbook (BIFF, an OLE2 compound file) opens with these bytes; many
# portals' ".xls" downloads are an HTML table or text instead, and some are XLSX renamed.
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _xls(path: Path) -> Workbook:
    """An Excel 97-2003 workbook, by xlrd. A sheet holds at most 65,536 rows; xlrd parses
    one sheet at a time (on_demand) and a sheet is let go once its rows are read. Merged
    ranges read as in an XLSX workbook (_merged_down); xlrd lists them only when it reads
    the cells' formatting too, which cost 3% more on a sheet of 65,000 rows. A BIFF
    formula always holds its value."""
    import xlrd

    with open(path, "rb") as f:
        magic = f.read(8)
    if magic.startswith(b"PK\x03\x04"):  # an XLSX workbook named .xls: read as what it is
        return _xlsx(path)
    if not magic.startswith(_OLE2):
        looks = ("an HTML page" if magic.lstrip().lower().startswith((b"<", b"\xef\xbb\xbf<"))
                 else "text or another format")
        raise UserError(f"{path.name} is not an Excel 97-2003 workbook, whatever its name "
                        f"says: it is {looks}; open it in Excel or WPS and save it as .xlsx "
                        "or CSV, then load that")

    def damaged(exc: Exception) -> UserError:
        return UserError(f"{path.name} is not a readable Excel 97-2003 workbook "
                         f"({first_line(exc)}); open it in Excel or "
                         "WPS and save it as .xlsx or CSV")

    try:  # xlrd raises what its parser meets in a damaged file: IndexError, struct.error...
        # logfile: xlrd writes its warnings on a damaged file to standard output
        book = xlrd.open_workbook(path, on_demand=True, formatting_info=True,
                                  logfile=io.StringIO())
        names = book.sheet_names()
    except Exception as exc:
        raise damaged(exc) from None

    def value(kind: int, v):
        if kind == xlrd.XL_CELL_DATE:
            try:
                return _cell(xlrd.xldate_as_datetime(v, book.datemode))
            except (xlrd.xldate.XLDateError, OverflowError, ValueError):
                return _cell(v)  # not a date after all: its number
        if kind == xlrd.XL_CELL_BOOLEAN:
            return _cell(bool(v))
        if kind == xlrd.XL_CELL_ERROR:
            return xlrd.error_text_from_code.get(v, "#ERR")  # as Excel shows it (#N/A)
        return _cell(v) if kind in (xlrd.XL_CELL_NUMBER, xlrd.XL_CELL_TEXT) else ""

    def rows(name: str) -> Iterator[list[str]]:
        try:  # the whole sheet is parsed here
            ws = book.sheet_by_name(name)
        except Exception as exc:
            raise damaged(exc) from None

        def read() -> Iterator[list[str]]:
            for i in range(ws.nrows):
                yield [value(k, v) for k, v in zip(ws.row_types(i), ws.row_values(i),
                                                   strict=True)]
            book.unload_sheet(name)  # read: its memory goes
        # (first row, last row + 1, first column, last column + 1), from 0
        merges = sorted(((c0 + 1, r0 + 1, r1) for r0, r1, c0, _ in ws.merged_cells
                         if r1 - r0 > 1), key=lambda m: m[1])
        return _merged_down(read(), merges, {}) if merges else read()

    # xlrd keeps each sheet's visibility (0: shown) from the workbook's directory
    hidden = {n for n, v in zip(names, getattr(book, "_sheet_visibility", []), strict=False)
              if v}
    return Workbook(path, "xls", names, rows, book.release_resources, hidden)


# -- GeoJSON / GeoPackage (GDAL via pyogrio) ---------------------------------------
def ogr_text(v) -> str:
    """A value of a GDAL attribute column (a Python value of its Arrow column: text,
    number, date, list, None) as text."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, list):
        return json.dumps(v, ensure_ascii=False)
    return _cell(v)


def pick_layer(path: Path, layer: str | None, geometry: str, what: str,
               tables: bool = False) -> str:
    """The layer of a GDAL file holding ``what``: the one asked for, else the file's only
    layer, else its only layer of ``geometry`` (Point, Polygon: Multi* included); anything
    else is a UserError naming the candidates. ``tables``: a layer without geometry will
    do too (enterprises can take their coordinates from columns)."""
    import pyogrio

    try:
        layers = [(str(n), str(g) if g is not None else None)
                  for n, g in pyogrio.list_layers(path)]
    except Exception as exc:
        raise UserError(f"{path.name} is not a file GDAL can read: "
                        f"{first_line(exc)}") from None
    fitting = [n for n, g in layers if g and geometry in g]
    listed = (f"{geometry.lower()} layers: {', '.join(fitting)}" if fitting
              else f"none holds {geometry.lower()}s")
    if layer is None:
        if len(layers) == 1:
            layer = layers[0][0]
        elif len(fitting) == 1:
            layer = fitting[0]
        else:
            raise UserError(f"{path.name} has {len(layers)} layers; pass --layer with the "
                            f"{what} ({listed})")
    kind = dict(layers).get(layer, "missing")
    if kind == "missing":
        raise UserError(f"{path.name} has no layer {layer!r}; layers: "
                        f"{', '.join(n for n, _ in layers)}")
    mixed = kind is not None and (kind == "Unknown" or "GeometryCollection" in kind)
    if (kind is None and not tables) or (kind is not None and geometry not in kind
                                         and not mixed):  # mixed: checked feature by feature
        has = f"holds {kind} geometries" if kind else "has no geometry"
        raise UserError(f"layer {layer!r} of {path.name} {has}, not {what}; pass --layer "
                        f"with the {what} ({listed})")
    return layer


OGR_BATCH = 20_000  # features of a GeoJSON or GeoPackage layer read at a time


def ogr_batches(path: Path, layer: str, info: dict, encoding: str | None = None,
                escape: bool = False) -> Iterator[tuple[list[list[str]], list[bytes | None]]]:
    """The features of a GDAL layer, OGR_BATCH at a time, in one pass (GDAL's Arrow
    stream): each feature's attribute values as text (ogr_text), and its WKB geometry
    (None without; the geometry is the column after the fields). ``info`` is the layer's
    pyogrio.read_info: its fields, and its feature count, which the stream must reach.
    ``encoding``: the text's, where GDAL cannot know it (layer_encoding). Text that does
    not decode is a UserError, or with ``escape`` its bad bytes come out as U+DC00 + the
    byte, as the CSV reader's do (the loader rejects such a row as bad_encoding).

    Batches read with skip_features made GDAL parse a GeoJSON file from its start for
    each one: 6.2 s instead of 1.5 s at 119,411 features, growing with the square of the
    size. The count is checked because GDAL's stream ends quietly where it cannot read
    on: at a damaged GeoPackage page (sqlite3_step's 'database disk image is malformed'
    is only logged; OSGeo/gdal #8492 is the same for a bad filter), or where a GeoJSON
    file is cut while it is read. A load took the features before it as the whole file.
    A count that differs is checked again (_recount)."""
    import pyogrio

    n_fields, expected, read = len(info["fields"]), int(info["features"]), 0
    with pyogrio.raw.open_arrow(path, layer=layer, encoding=encoding, batch_size=OGR_BATCH,
                                use_pyarrow=True) as (_, reader):
        for batch in reader:
            try:
                data = [_text(batch.column(i), escape) for i in range(n_fields)]
            except UnicodeDecodeError as exc:  # GDAL passes the bytes on as they are
                raise not_in_encoding(path, layer, encoding, f"{exc.reason}, in features "
                                      f"{read + 1:,} to {read + batch.num_rows:,}") from None
            read += batch.num_rows
            geoms = (batch.column(n_fields).to_pylist() if batch.num_columns > n_fields
                     else [None] * batch.num_rows)
            yield [[ogr_text(col[i]) for col in data] for i in range(batch.num_rows)], geoms
    if expected >= 0 and read != expected:
        _recount(path, layer, read, expected)


def _text(column, escape: bool) -> list:
    """An Arrow column's Python values; a string column whose bytes are not UTF-8 raises
    UnicodeDecodeError, or with ``escape`` is decoded value by value, bad bytes escaped."""
    import pyarrow

    try:
        return column.to_pylist()
    except UnicodeDecodeError:
        if not escape:
            raise
        return [None if v is None else v.decode("utf-8", "industry_clusters_escape")
                for v in column.cast(pyarrow.binary()).to_pylist()]


def not_in_encoding(path: Path, layer: str, encoding: str | None, where: str) -> UserError:
    """The error for a layer whose text (its field names, or values ``where``) does not
    decode."""
    return UserError(f"{path.name}: the text of layer {layer!r} is not {encoding or 'UTF-8'} "
                     f"({where}); give a shapefile's encoding with --encoding (gb18030 for "
                     "GBK); GeoJSON and GeoPackage text must be UTF-8")


def layer_info(path: Path, layer: str, encoding: str | None, what: str, **options) -> dict:
    """pyogrio.read_info of the layer, or a UserError: ``what`` says what it should be."""
    import pyogrio

    try:
        return pyogrio.read_info(path, layer=layer, encoding=encoding, **options)
    except UnicodeDecodeError as exc:
        raise not_in_encoding(path, layer, encoding, f"{exc.reason}, in its field "
                              "names") from None
    except Exception as exc:
        raise UserError(f"{path.name} is not {what}: {first_line(exc)}") from None


def layer_encoding(path: Path, layer: str, asked: str) -> str | None:
    """The encoding of a layer's text: the one asked for (--encoding), else, for a
    shapefile without a .cpg file (on its own or zipped), the one the field names and
    records of its .dbf decode in (detect_encoding: UTF-8, else GB18030), else None:
    GDAL's own (a .cpg, or a format that is UTF-8). Chinese shapefiles are often GBK
    without a .cpg: GDAL takes them as Latin-1 or passes their bytes on undecoded (its
    Arrow stream), and a load printed a UnicodeDecodeError traceback."""
    if asked != "auto":
        return asked
    suffix = path.suffix.lower()
    if suffix == ".shp":
        files = {p.suffix.lower(): p for p in path.parent.glob(glob.escape(path.stem) + ".*")}
        return _dbf_encoding(files, lambda p: open(p, "rb"))
    if suffix == ".zip" and zipfile.is_zipfile(path):  # GDAL reads a zipped shapefile
        with zipfile.ZipFile(path) as z:
            return _dbf_encoding({Path(n).suffix.lower(): n for n in z.namelist()
                                  if Path(n).stem.lower() == layer.lower()}, z.open)
    return None


def _dbf_encoding(files: dict, open_file: Callable) -> str | None:
    """A shapefile's encoding from its files (by suffix): None where a .cpg says it (or
    there is no .dbf), else detect_encoding of the .dbf's field names and first records
    (its other bytes are numbers, not text)."""
    if ".cpg" in files or ".dbf" not in files:
        return None
    with open_file(files[".dbf"]) as f:
        head = f.read(32)
        descriptors = f.read(max(int.from_bytes(head[8:10], "little") - 32, 0))
        records = f.read(1 << 16)
    names = [descriptors[i:i + 11].split(b"\0", 1)[0]
             for i in range(0, len(descriptors) - 31, 32)]
    return detect_encoding(b"\n".join([*names, records]))


def _recount(path: Path, layer: str, read: int, expected: int) -> None:
    """The stream's count differs from the layer's: count again, feature by feature (ids
    only), where GDAL does report an error. A GeoPackage's stored count can also be stale
    (gpkg_ogr_contents, written by another tool): then the stream read them all."""
    import pyogrio

    try:
        fids = pyogrio.raw.read(path, layer=layer, columns=[], read_geometry=False,
                                return_fids=True)[1]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise UserError(f"{path.name}: GDAL read {read:,} of the {expected:,} features of "
                        f"layer {layer!r}, then failed ({first_line(exc)}); the file is "
                        "damaged: export it again from its source") from None
    if len(fids) != read:
        raise UserError(f"{path.name}: GDAL read {read:,} of the {len(fids):,} features of "
                        f"layer {layer!r}, then stopped without an error; the file may be "
                        "damaged: export it again from its source")


# WKB's curved and surface types (ISO; + 1000/2000/3000 with Z, M, ZM): GEOS reads none
_NONLINEAR = {8: "CircularString", 9: "CompoundCurve", 10: "CurvePolygon", 11: "MultiCurve",
              12: "MultiSurface", 13: "Curve", 14: "Surface", 15: "PolyhedralSurface",
              16: "TIN", 17: "Triangle"}


def _geometries(wkbs):
    """A batch's WKB as shapely geometries; None for what GEOS cannot read, which is no
    location either: a polygon whose ring is not closed (GDAL passes it on) raised
    GEOSException, and a curve (a GeoPackage's CircularString, as ArcGIS writes true
    curves) NotImplementedError, each a traceback with nothing loaded."""
    import numpy as np
    import shapely

    def one(wkb):
        try:
            return shapely.from_wkb(wkb, on_invalid="ignore")
        except NotImplementedError:
            return None

    try:
        return shapely.from_wkb(wkbs, on_invalid="ignore")
    except NotImplementedError:  # a curve in the batch: read one by one
        return np.array([one(w) for w in wkbs], dtype=object)


def _wkb_type_name(wkb: bytes) -> str | None:
    """The name of a curved or surface WKB type; None for any other."""
    if len(wkb) < 5 or wkb[0] not in (0, 1):
        return None
    code = int.from_bytes(wkb[1:5], "little" if wkb[0] == 1 else "big")
    return _NONLINEAR.get((code & 0x0FFFFFFF) % 1000)  # EWKB's flags and ISO's Z/M off


def _not_a_point(wkb: bytes | None, geom) -> str:
    """What a point layer's feature has instead of a point, said in its reject."""
    if wkb is None:
        return "the feature has no geometry"
    if geom is None:
        if (name := _wkb_type_name(bytes(wkb))) is not None:
            return f"the feature's geometry is a {name}, not a point"
        return "the feature's geometry cannot be read (GEOS refuses its WKB)"
    if geom.is_empty:
        return f"the feature's geometry is an empty {geom.geom_type}"
    if geom.geom_type == "MultiPoint":
        return (f"the feature's geometry is a MultiPoint of {len(geom.geoms)} points, "
                "not one point")
    return f"the feature's geometry is a {geom.geom_type}, not a point"


def _ogr(path: Path, fmt: str, layer: str | None = None) -> Source:
    import numpy as np
    import shapely

    layer = pick_layer(path, layer, "Point", "enterprise points", tables=True)
    info = layer_info(path, layer, None, f"a readable {fmt} file")
    fields = [str(f) for f in info["fields"]]
    headers = fields + list(GEOMETRY_COLUMNS)
    # a layer's point is its location; a table without geometry takes it from columns
    implicit = ({"lon": len(fields), "lat": len(fields) + 1} if info["geometry_type"]
                else None)
    # a layer in a projected CRS: its points in longitude/latitude (load/unproject.py)
    to_degrees = unprojector(info["crs"], path.name) if implicit else None

    def records() -> Iterator[Record]:
        for rows, wkbs in ogr_batches(path, layer, info, escape=True):
            geoms = _geometries(wkbs)
            # a MultiPoint of one point (ArcGIS and some converters write points so) is
            # that point; of several, it is no location, as a line or a polygon is not
            single = ((shapely.get_type_id(geoms) == shapely.GeometryType.MULTIPOINT)
                      & (shapely.get_num_geometries(geoms) == 1))
            geoms[single] = shapely.get_geometry(geoms[single], 0)
            point = ((shapely.get_type_id(geoms) == shapely.GeometryType.POINT)
                     & ~shapely.is_empty(geoms))
            x, y = np.full(len(geoms), np.nan), np.full(len(geoms), np.nan)
            x[point], y[point] = shapely.get_x(geoms[point]), shapely.get_y(geoms[point])
            lon, lat = to_degrees.points(x, y) if to_degrees else (x, y)
            for i, (values, wkb, g) in enumerate(zip(rows, wkbs, geoms, strict=True)):
                note = None
                if not point[i]:
                    values += ["", ""]
                    note = _not_a_point(wkb, g)
                elif to_degrees and not (np.isfinite(lon[i]) and np.isfinite(lat[i])):
                    values += ["", ""]
                    note = to_degrees.cannot(float(x[i]), float(y[i]))
                else:
                    values += [repr(float(lon[i])), repr(float(lat[i]))]
                if _BAD_CHARS.search("".join(values)):
                    fixed, reason, msg = _sanitise(values)
                    yield Record(fixed, reason, msg)
                else:
                    yield Record(values, None, note)

    return Source(fmt, headers, records(), implicit=implicit, layer=layer,
                  unprojected_from=to_degrees.declared if to_degrees else None)
