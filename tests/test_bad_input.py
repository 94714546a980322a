"""Property-based: malformed registry files never crash the loader, lose no row, and
leave the database consistent (hypothesis generates the files)."""

from __future__ import annotations

import csv
import io
import json

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from helpers import assert_no_traceback, assert_one_line_error, run_cli
from industry_clusters.demo.synth import HEADERS
from registry_files import row

NASTY = [
    "'); DROP TABLE registry.enterprises; --", "\"; DELETE FROM publish.clusters; --",
    "=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|'/C calc'!A0",
    "-1e309", "NaN", "Infinity", "1e400", "0x1F", "99999999999999999999999999999999",
    "\x00", "a\x00b", "\r", "\n", "\"", "\"\"\"", ",", ";", "\t", "\\", "\\N", "NULL",
    "企业", "\u202e\u200b", "\ud7ff", "𠀀𪚥", "佛山市\udcff", "　", "2015-02-30", "9999-12-31",
    "0000-00-00", "113.1,23.0", "POINT(113 23)", "-0", "  100万美元 ", "约100万", "1/0",
]
field = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4E80), max_size=10),
)
huge = st.builds(lambda c, n: c * n, st.sampled_from("x佛'\"\x00,\n"),
                 st.integers(min_value=1000, max_value=300_000))


@st.composite
def registry_files(draw) -> bytes:
    """A registry export gone wrong in the ways real ones do."""
    kind = draw(st.sampled_from(["rows", "rows", "rows", "truncated", "random", "mixed", "bom"]))
    if kind == "random":
        return draw(st.binary(max_size=3000))
    if kind == "bom":  # a byte-order mark, then anything
        return draw(st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])) + \
            draw(st.one_of(st.binary(max_size=500),
                           st.just("企业名称,经度\n".encode("utf-16-le") + b"\x00")))
    rows = []
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        r = row()
        for h in draw(st.lists(st.sampled_from(HEADERS), max_size=5)):
            r[h] = draw(field)
        cells = [r[h] for h in HEADERS]
        if draw(st.booleans()):  # too few or too many fields
            cells = cells[:draw(st.integers(0, len(cells)))] + draw(st.lists(field, max_size=2))
        rows.append(cells)
    filled = [r for r in rows if r]  # a row may have been cut to no field at all
    if filled and draw(st.integers(0, 4)) == 0:  # one huge field somewhere
        r = draw(st.sampled_from(filled))
        r[draw(st.integers(0, len(r) - 1))] = draw(huge)
    out = io.StringIO()
    w = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    w.writerow(HEADERS)
    w.writerows(rows)
    text = out.getvalue()
    if kind == "mixed":  # some lines in GB18030, the rest UTF-8
        lines = text.splitlines(keepends=True)
        rnd = draw(st.randoms(use_true_random=False))
        return b"".join(ln.encode("gb18030", "replace") if i and rnd.random() < 0.5 else
                        ln.encode("utf-8", "surrogatepass") for i, ln in enumerate(lines))
    data = text.encode("utf-8", "surrogatepass")
    if kind == "truncated":
        data = data[:draw(st.integers(0, len(data)))]
    return data


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=registry_files(), incremental=st.booleans(),
       suffix=st.sampled_from([".csv"] * 5 + [".xlsx", ".xls", ".geojson", ".gpkg", ".txt"]))
@example(data=b"\x01\x0b", incremental=False, suffix=".csv")  # a vertical tab in the header
def test_malformed_files_never_crash_and_lose_no_row(tmp_path, db_url, data, incremental, suffix):
    path = tmp_path / f"registry{suffix}"
    path.write_bytes(data)
    args = ["load", str(path), "--crs", "wgs84", "--force"]
    r = run_cli(*(args + ["--incremental"] if incremental else args), url=db_url)
    assert_no_traceback(r)  # success, or one line saying what is wrong
    with psycopg.connect(db_url) as c:
        last = c.execute(
            "SELECT load_run_id, status, rows_read, rows_accepted, rows_rejected, "
            "rows_inserted + rows_updated + rows_unchanged FROM registry.load_runs "
            "ORDER BY load_run_id DESC LIMIT 1").fetchone()
        assert c.execute("SELECT count(*) FROM registry.load_runs WHERE status = 'running'"
                         ).fetchone()[0] == 0
        if r.exit_code == 0:
            run, status, read, accepted, rejected, merged = last
            assert status == "succeeded"
            assert read == accepted + rejected  # every row accepted or recorded with a reason
            assert merged == accepted
            assert c.execute("SELECT count(*) FROM registry.rejects WHERE load_run_id = %s",
                             (run,)).fetchone()[0] == rejected
            assert c.execute("SELECT count(*) FROM registry.rejects WHERE load_run_id = %s "
                             "AND (reason IS NULL OR message IS NULL)", (run,)).fetchone()[0] == 0
        # the registry is consistent whatever happened
        bad = c.execute(
            "SELECT count(*) FROM registry.enterprises WHERE geom IS NULL OR NOT ST_IsValid(geom) "
            "OR credit_code IS NULL OR name IS NULL OR sector_id IS NULL "
            "OR (active AND inactive_since IS NOT NULL)").fetchone()[0]
        assert bad == 0


@pytest.mark.parametrize("header", [b"", b"\xff\xfe\x00", "企业名称\n".encode("utf-16")])
def test_degenerate_files_are_one_line(tmp_path, db_url, header):
    path = tmp_path / "x.csv"
    path.write_bytes(header)
    assert_one_line_error(run_cli("load", str(path), "--crs", "wgs84", url=db_url))


@pytest.mark.parametrize("encoding, parser", [("utf-8", "server"), ("gb18030", "python")])
def test_a_field_beyond_the_csv_parsers_limit_near_the_top(tmp_path, db_url, encoding, parser):
    """The first lines are split to find the header among them; a field of more than
    16 MiB there raised the CSV parser's error as a traceback. Such a line is not the
    header; its row is then read as any other: the server takes it, Python's parser
    rejects it as malformed_row."""
    rows = [row(), row(经营范围="经" * (17 * 1024 * 1024)), row()]
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HEADERS)
    w.writerows([r[h] for h in HEADERS] for r in rows)
    path = tmp_path / "long.csv"
    path.write_bytes(out.getvalue().encode(encoding))
    r = run_cli("load", str(path), "--crs", "wgs84", "--incremental", url=db_url)
    assert r.exit_code == 0, r.output
    with psycopg.connect(db_url) as c:
        got = c.execute("SELECT parser, rows_read, rows_accepted, rows_rejected "
                        "FROM registry.load_runs ORDER BY load_run_id DESC LIMIT 1").fetchone()
    assert got == ((parser, 3, 3, 0) if parser == "server" else (parser, 3, 2, 1))


def test_a_header_of_thousands_of_columns_is_named_in_one_short_line(tmp_path, db_url):
    """The error for a missing column listed every header found: a file of 5,000 columns
    (or a data line taken for a header) gave a message of 30,000 characters."""
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"column {i} " + "x" * 100 for i in range(5000)) + "\n1\n")
    r = run_cli("load", str(path), "--crs", "wgs84", url=db_url)
    assert_one_line_error(r, "required column 'credit_code' not found in wide.csv",
                          "(5000 in all); map it with --map credit_code=COLUMN")
    assert len(r.output) < 2000, len(r.output)


number = st.one_of(st.sampled_from([113.1, 23.05, 113.3, 22.9, 0.0, -181.0, 1e308, 1e-308]),
                   st.floats(allow_nan=True, allow_infinity=False),
                   st.floats(min_value=112.5, max_value=113.4))
position = st.lists(number, min_size=0, max_size=4)  # a position of 0 to 4 numbers


@st.composite
def geometries(draw, depth: int = 0):
    """GeoJSON geometries gone wrong: any type with too few, too many or odd numbers,
    rings not closed, nested collections, none at all."""
    kind = draw(st.sampled_from(["Point", "MultiPoint", "LineString", "Polygon",
                                 "MultiPolygon", "GeometryCollection", "None", "Bogus"]))
    ring = st.lists(position, max_size=6).map(
        lambda r: r + r[:1] if r and len(r) % 2 else r)  # closed or not, by chance
    coordinates = {
        "Point": position, "MultiPoint": st.lists(position, max_size=3),
        "LineString": st.lists(position, max_size=4), "Polygon": st.lists(ring, max_size=2),
        "MultiPolygon": st.lists(st.lists(ring, max_size=2), max_size=2)}
    if kind == "None":
        return None
    if kind == "GeometryCollection":
        parts = st.just([]) if depth else st.lists(geometries(depth=1), max_size=2)
        return {"type": kind, "geometries": [g for g in draw(parts) if g]}
    if kind == "Bogus":
        return {"type": kind}
    return {"type": kind, "coordinates": draw(coordinates[kind])}


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(geoms=st.lists(geometries(), min_size=1, max_size=5), districts=st.booleans())
def test_malformed_geometries_never_crash_and_lose_no_feature(tmp_path, db_url, geoms,
                                                             districts):
    """GeoJSON layers of enterprises (points) and of district boundaries whose geometries
    are broken in every way GDAL still reads: a feature is accepted or rejected with a
    reason, never a traceback. This found a polygon whose ring is not closed: GDAL passes
    it on, and shapely raised GEOSException (enterprises) and PostGIS failed the whole
    load (boundaries)."""
    features = []
    for i, g in enumerate(geoms):
        props = {"name": f"区{i}", "adcode": f"4406{i:02d}"} if districts else row()
        features.append({"type": "Feature", "properties": props, "geometry": g})
    path = tmp_path / "layer.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    args = (["load-districts", str(path), "--crs", "wgs84"] if districts else
            ["load", str(path), "--crs", "wgs84", "--incremental", "--force"])
    r = run_cli(*args, url=db_url)
    assert_no_traceback(r, warnings=True)  # GDAL's warnings, each one line, then the error
    with psycopg.connect(db_url) as c:
        run, status, read, accepted, rejected = c.execute(
            "SELECT load_run_id, status, rows_read, rows_accepted, rows_rejected "
            "FROM registry.load_runs ORDER BY load_run_id DESC LIMIT 1").fetchone()
        if r.exit_code == 0:
            assert status == "succeeded" and read == accepted + rejected == len(geoms)
            assert c.execute("SELECT count(*) FROM registry.rejects WHERE load_run_id = %s",
                             (run,)).fetchone()[0] == rejected
        assert c.execute("SELECT count(*) FROM registry.districts WHERE NOT ST_IsValid(geom) "
                         "OR GeometryType(geom) <> 'MULTIPOLYGON'").fetchone()[0] == 0
