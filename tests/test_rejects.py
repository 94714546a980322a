"""The rows a load rejected, counted and written out as the file had them (rejects)."""

from __future__ import annotations

import csv

from helpers import assert_one_line_error, run_cli
from industry_clusters.load import load_file
from industry_clusters.load.rejects import FRONT
from registry_files import HEADERS, row, write_csv, write_geojson

# the file's own order, which is not the order of names (the raw rows are JSON objects)
ORDER = ["统一社会信用代码", "企业名称", "经度", "纬度", *[h for h in HEADERS if h not in (
    "统一社会信用代码", "企业名称", "经度", "纬度")], "备注"]


def read_csv(path) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def test_rejects_are_counted_and_written_as_the_file_had_them(tmp_path, db_url, conn):
    good = [row(备注="a") for _ in range(3)]
    swapped = row(经度="23.03", 纬度="113.11", 备注="对调")
    closed = row(登记状态="注销", 备注="")
    irregular = row(注册资本="约500万元", 备注="资本, \"引号\"")
    path = write_csv(tmp_path / "registry.csv",
                     [good[0], swapped, good[1], closed, irregular, good[2]], headers=ORDER)
    with open(path, "a", encoding="utf-8") as f:  # a row of more fields than the header
        f.write(",".join(["x"] * (len(ORDER) + 2)) + "\n")
    res = load_file(db_url, path, crs="wgs84")

    summary = run_cli("rejects", url=db_url)
    assert summary.exit_code == 0, summary.output
    lines = summary.output.splitlines()
    assert lines[0].startswith(f"load run {res.load_run_id} (") and \
        lines[0].endswith("4 of 7 rows rejected")
    by_reason = {ln.split()[0]: int(ln.split()[1]) for ln in lines[3:]}
    assert by_reason == {"coordinates_swapped": 1, "status_inactive": 1,
                         "capital_irregular": 1, "field_count": 1}

    r = run_cli("rejects", str(tmp_path / "out.csv"), url=db_url)
    assert r.exit_code == 0, r.output
    assert "4 rejected rows" in r.output
    header, rows = read_csv(tmp_path / "out.csv")
    assert header == [*FRONT, *ORDER, "column_16", "column_17"]
    # in the file's order, each with its row there (the header is row 1), reason and the
    # values as read
    assert [(x[1], x[2]) for x in rows] == [("3", "coordinates_swapped"),
                                           ("5", "status_inactive"),
                                           ("6", "capital_irregular"), ("8", "field_count")]
    assert {x[0] for x in rows} == {str(path)}
    for x, original in zip(rows, [swapped, closed, irregular], strict=False):
        assert x[len(FRONT):len(FRONT) + len(ORDER)] == [original[h] for h in ORDER]
        assert x[-2:] == ["", ""]
    assert "约" in rows[2][3]  # the message says what is wrong
    assert rows[3][len(FRONT):] == ["x"] * (len(ORDER) + 2)

    # one reason; corrected there, the row loads again as part of the registry
    r = run_cli("rejects", str(tmp_path / "out.csv"), "--reason", "coordinates_swapped",
                url=db_url)
    assert_one_line_error(r, "out.csv exists", "--overwrite")
    r = run_cli("rejects", str(tmp_path / "out.csv"), "--reason", "coordinates_swapped",
                "--overwrite", url=db_url)
    assert r.exit_code == 0, r.output
    header, rows = read_csv(tmp_path / "out.csv")
    assert len(rows) == 1
    lon, lat = header.index("经度"), header.index("纬度")
    rows[0][lon], rows[0][lat] = rows[0][lat], rows[0][lon]
    with open(tmp_path / "fixed.csv", "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([header, *rows])
    fixed = load_file(db_url, tmp_path / "fixed.csv", crs="wgs84", full_refresh=False)
    assert fixed.counts["accepted"] == 1
    assert conn.execute("SELECT active FROM registry.enterprises WHERE credit_code = %s",
                        (swapped["统一社会信用代码"],)).fetchone() == (True,)

    # an earlier load by its number; a reason that is none
    r = run_cli("rejects", "--load-run", str(res.load_run_id), url=db_url)
    assert r.output.splitlines()[0] == lines[0]
    assert_one_line_error(run_cli("rejects", str(tmp_path / "x.csv"), "--reason", "nope",
                                  url=db_url), "unknown reason 'nope'", "status_inactive")
    assert not (tmp_path / "x.csv").exists()


def test_the_rejects_of_a_layer_load_again_once_corrected(tmp_path, db_url, conn):
    """A layer's point is written out as geometry_lon / geometry_lat: the corrected CSV
    was refused ("required column 'lon' not found") unless each was named with --map."""
    rows = [row(), row()]
    for r in rows:
        del r["经度"], r["纬度"]
    geoms = [{"type": "Point", "coordinates": [113.11, 23.04]},
             {"type": "Polygon", "coordinates": [[[113.2, 23.0], [113.3, 23.0], [113.3, 23.1],
                                                  [113.2, 23.0]]]}]
    path = write_geojson(tmp_path / "points.geojson", rows, geoms)
    assert load_file(db_url, path, crs="wgs84").counts["accepted"] == 1
    assert run_cli("rejects", str(tmp_path / "r.csv"), url=db_url).exit_code == 0
    header, rejected = read_csv(tmp_path / "r.csv")
    assert [x[2] for x in rejected] == ["coordinates_missing"]
    lon, lat = header.index("geometry_lon"), header.index("geometry_lat")
    assert rejected[0][lon] == rejected[0][lat] == ""
    rejected[0][lon], rejected[0][lat] = "113.25", "23.05"
    with open(tmp_path / "fixed.csv", "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([header, *rejected])
    r = run_cli("load", str(tmp_path / "fixed.csv"), "--crs", "wgs84", "--incremental",
                url=db_url)
    assert r.exit_code == 0, r.output
    assert conn.execute("SELECT source_x, source_y FROM registry.enterprises "
                        "WHERE credit_code = %s", (rows[1]["统一社会信用代码"],)).fetchone() \
        == (113.25, 23.05)


def test_the_rejects_of_a_load_in_parts_name_their_part(tmp_path, db_url):
    bad1, bad2 = row(登记状态="注销"), row(注册资本="")
    p1 = write_csv(tmp_path / "p1.csv", [row(), bad1])
    p2 = write_csv(tmp_path / "p2.csv", [bad2, row()])
    load_file(db_url, [p1, p2], crs="wgs84")
    assert run_cli("rejects", str(tmp_path / "r.csv"), url=db_url).exit_code == 0
    _, rows = read_csv(tmp_path / "r.csv")
    assert [(x[0], x[1], x[2]) for x in rows] == [(str(p1), "3", "status_inactive"),
                                                  (str(p2), "2", "capital_irregular")]


def _written(path, db_url) -> tuple[list[str], list[list[str]]]:
    """The rejects of the latest load, written to ``path`` and read back."""
    assert run_cli("rejects", str(path), "--overwrite", url=db_url).exit_code == 0
    return read_csv(path)


def _rows_found(path, db_url, read_rows) -> list[tuple[int, str, str]]:
    """The rejects of the latest load written out, each as (its reject_row, the credit
    code it has, the credit code at that row of the file as ``read_rows`` reads it)."""
    header, rejected = _written(path, db_url)
    code = header.index("统一社会信用代码")
    rows = read_rows()
    return [(int(x[1]), x[code], rows[int(x[1]) - 1][code - len(FRONT)]) for x in rejected]


def test_a_reject_is_found_at_its_row_of_the_file(tmp_path, db_url, conn):
    """reject_row is the row as Excel or WPS numbers it: title lines, the header and
    blank rows counted, a value over several lines one row. It was the record number,
    three rows off in a workbook with a title, a blank row and the header."""
    import openpyxl

    def rows_(n):  # every third row rejected (a zero capital)
        return [row(注册资本="0" if i % 3 == 1 else "100万元",
                    经营范围="软件开发；\n技术服务" if i % 4 == 0 else "软件开发")
                for i in range(n)]

    def csv_rows(path):
        return lambda: list(csv.reader(open(path, encoding="utf-8", newline="")))

    out = tmp_path / "r.csv"
    # a CSV the server parses (no blank line): a title line above the header, values over
    # two lines
    records = rows_(12)
    server = tmp_path / "server.csv"
    with open(server, "w", encoding="utf-8", newline="") as f:
        f.write("佛山市企业名录（2024年）\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerows([HEADERS, *([r[h] for h in HEADERS] for r in records)])
    res = load_file(db_url, server, crs="wgs84")
    assert conn.execute("SELECT parser, rows_above FROM registry.load_runs "
                        "WHERE load_run_id = %s", (res.load_run_id,)).fetchone() == \
        ("server", [2])
    found = _rows_found(out, db_url, csv_rows(server))
    assert len(found) == 4 and all(has == at for _, has, at in found), found
    assert [n for n, _, _ in found] == [4, 7, 10, 13]  # records 2, 5, 8, 11

    # blank lines between the records: Python's reader counts them
    python = tmp_path / "python.csv"
    text = server.read_text(encoding="utf-8").splitlines(keepends=True)
    python.write_text("".join(text[:4] + ["\n", "\n"] + text[4:]), encoding="utf-8")
    res = load_file(db_url, python, crs="wgs84", full_refresh=False)
    assert conn.execute("SELECT parser FROM registry.load_runs WHERE load_run_id = %s",
                        (res.load_run_id,)).fetchone() == ("python",)
    found = _rows_found(out, db_url, csv_rows(python))
    assert len(found) == 4 and all(has == at for _, has, at in found), found

    # a sheet: a title, a blank row and the header above the records, a blank row among them
    book = tmp_path / "registry.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["佛山市企业名录（2024年）"])
    ws.append([])
    ws.append(HEADERS)
    for i, r in enumerate(rows_(12)):
        if i == 6:
            ws.append([])
        ws.append([r[h] for h in HEADERS])
    wb.save(book)
    load_file(db_url, book, crs="wgs84", full_refresh=False)
    found = _rows_found(out, db_url, lambda: [
        list(r) for r in openpyxl.load_workbook(book).active.iter_rows(values_only=True)])
    assert len(found) == 4 and all(has == at for _, has, at in found), found
    assert [n for n, _, _ in found] == [5, 8, 12, 15]

    # a CSV part without a header row (split -l): its rows from its first line
    first, second = rows_(3), rows_(3)
    p1 = write_csv(tmp_path / "p1.csv", first)
    p2 = tmp_path / "p2.csv"
    p2.write_text("".join(write_csv(tmp_path / "x.csv", second).read_text(
        encoding="utf-8").splitlines(keepends=True)[1:]), encoding="utf-8")
    load_file(db_url, [p1, p2], crs="wgs84", full_refresh=False)
    _, rejected = _written(out, db_url)
    assert [(x[0], x[1]) for x in rejected] == [(str(p1), "3"), (str(p2), "2")]

    # a layer's feature: its number
    feats = rows_(3)
    geoms = [{"type": "Point", "coordinates": [113.11, 23.04]}] * 3
    load_file(db_url, write_geojson(tmp_path / "f.geojson", feats, geoms), crs="wgs84",
              full_refresh=False)
    _, rejected = _written(out, db_url)
    assert [x[1] for x in rejected] == ["2"]


def test_rejects_that_are_gone_or_never_were(tmp_path, db_url, conn):
    assert_one_line_error(run_cli("rejects", url=db_url), "no registry has been loaded",
                          "industry-clusters load")
    res = load_file(db_url, write_csv(tmp_path / "r.csv", [row(), row(登记状态="注销")]),
                    crs="wgs84")
    assert_one_line_error(run_cli("rejects", "--load-run", str(res.load_run_id + 1),
                                  url=db_url), f"no succeeded load run {res.load_run_id + 1}")
    assert_one_line_error(run_cli("rejects", str(tmp_path / "r.txt"), url=db_url),
                          "name the file .csv")
    assert_one_line_error(run_cli("rejects", "--reason", "status_inactive", url=db_url),
                          "give a file")
    # the nightly job deletes the rows of older loads: their counts remain
    conn.execute("UPDATE registry.load_runs SET rejects_pruned_at = now(), finished_at = "
                 "finished_at WHERE load_run_id = %s", (res.load_run_id,))
    conn.execute("DELETE FROM registry.rejects WHERE load_run_id = %s", (res.load_run_id,))
    conn.commit()
    r = run_cli("rejects", url=db_url)
    assert r.exit_code == 0 and "its rows were deleted on" in r.output
    assert "status_inactive" in r.output
    assert_one_line_error(run_cli("rejects", str(tmp_path / "gone.csv"), url=db_url),
                          "were deleted on", "counts remain")
    assert not (tmp_path / "gone.csv").exists()
