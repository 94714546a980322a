"""Exports read back with GDAL (pyogrio): layers, CRS, counts, validity, values."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pyogrio
import pytest
import shapely
from points import blob, insert_points

from helpers import assert_one_line_error, run_cli
from industry_clusters.cluster import run_clustering
from industry_clusters.export import LAYERS, export


@pytest.fixture
def clustered(db_url, conn):
    rng = random.Random(1)
    insert_points(conn, blob(rng, 50, 0, 0, 150))
    insert_points(conn, blob(rng, 40, 3000, 0, 150), sector="comms", district="南海区")
    insert_points(conn, [(9000.0, 9000.0), (-9000.0, 100.0)])
    run_clustering(db_url)
    return db_url


def test_geopackage_has_every_layer(tmp_path, clustered, conn):
    path = tmp_path / "out.gpkg"
    written = export(clustered, path)
    layers = dict(pyogrio.list_layers(path))
    assert layers == {"enterprises": "Point", "clusters": "MultiPolygon",
                      "cluster_centroids": "Point", "districts": "MultiPolygon",
                      "district_sector_stats": None, "tier_stats": None,
                      "tier_structure": None, "layer_styles": None}
    assert written["districts"] == 0  # none loaded: the layer is there, empty
    for name, n in written.items():
        assert pyogrio.read_info(path, layer=name)["features"] == n
    assert written["enterprises"] == 92 and written["clusters"] == 2
    assert pyogrio.read_info(path, layer="clusters")["crs"] == "EPSG:4326"
    _, _, geoms, fields = pyogrio.raw.read(path, layer="clusters")
    meta = pyogrio.read_info(path, layer="clusters")
    polys = shapely.from_wkb(geoms)
    assert all(p.is_valid for p in polys)
    n_members = dict(zip(fields[list(meta["fields"]).index("cluster_id")],
                         fields[list(meta["fields"]).index("n_members")], strict=True))
    db = dict(conn.execute("SELECT cluster_id, n_members FROM publish.clusters"))
    assert {int(k): int(v) for k, v in n_members.items()} == db
    # the polygons are where the database says (WGS-84)
    ref = dict(conn.execute("SELECT cluster_id, ST_AsBinary(ST_Transform(geom, 4326)) "
                            "FROM publish.clusters"))
    for cid, poly in zip(fields[list(meta["fields"]).index("cluster_id")], polys, strict=True):
        assert poly.equals_exact(shapely.from_wkb(bytes(ref[int(cid)])), 1e-9)


def test_exports_are_reproducible(tmp_path, clustered):
    a, b = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    export(clustered, a)
    export(clustered, b)
    for layer in ("enterprises", "clusters", "tier_stats"):
        assert _fields(a, layer) == _fields(b, layer)


@pytest.mark.parametrize("crs, expected", [("wgs84", "EPSG:4326"), ("projected", "EPSG:4547"),
                                           ("gcj02", "EPSG:4326")])
def test_crs_choices(tmp_path, clustered, conn, crs, expected):
    path = tmp_path / f"c_{crs}.fgb"
    export(clustered, path, layers=["cluster_centroids"], crs=crs)
    assert pyogrio.read_info(path)["crs"] == expected
    meta, _, geoms, fields = pyogrio.raw.read(path)
    p = shapely.from_wkb(geoms[0])  # FlatGeobuf orders features along its spatial index
    cid = int(fields[list(meta["fields"]).index("cluster_id")][0])
    lon, lat = conn.execute("SELECT centroid_lon, centroid_lat FROM publish.clusters "
                            "WHERE cluster_id = %s", (cid,)).fetchone()
    if crs == "wgs84":
        assert (p.x, p.y) == pytest.approx((lon, lat), abs=1e-9)
    elif crs == "gcj02":  # shifted by the GCJ-02 offset (hundreds of metres here)
        assert 0.002 < abs(p.x - lon) < 0.01
    else:
        assert p.x > 100000  # metres


def test_geojson_and_csv(tmp_path, clustered):
    gj = tmp_path / "2026-11-25" / "night" / "c.geojson"  # missing folders are created
    assert run_cli("export", str(gj), url=clustered).exit_code == 0
    assert pyogrio.read_info(gj)["features"] == 2
    csv_path = tmp_path / "t.csv"
    r = run_cli("export", str(csv_path), "--layers", "district_sector_stats", url=clustered)
    assert r.exit_code == 0, r.output
    assert pyogrio.read_info(csv_path)["features"] == 2


def test_csv_opens_in_excel_and_any_name_writes_no_warning(tmp_path, clustered, recwarn):
    """A CSV starts with the UTF-8 byte-order mark (Excel then reads the Chinese names;
    GDAL reads the header as it is). A GeoPackage under a name without .gpkg is written
    without GDAL's warning about the extension (which cron would mail every night)."""
    path = tmp_path / "e.csv"
    assert run_cli("export", str(path), "--layers", "enterprises", url=clustered).exit_code == 0
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    assert pyogrio.read_info(path)["fields"][0] == "enterprise_id"
    # booleans as stats, JSON and the README write them (Python's True / False until
    # 2026-11-25), so a CSV of the layer and of `stats` read alike
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {r["digital_label"] for r in rows} <= {"true", "false"}
    assert {r["digital_label"] for r in rows}, rows
    plain = tmp_path / "layers"
    r = run_cli("export", str(plain), "--format", "gpkg", url=clustered)
    assert r.exit_code == 0, r.output
    assert not [w for w in recwarn if "extension" in str(w.message)], \
        [str(w.message) for w in recwarn]
    assert pyogrio.read_info(plain, layer="clusters")["features"] == 2


def test_a_crs_for_what_has_no_geometry_is_said_to_be_unused(tmp_path, clustered):
    """--crs was ignored without a word for a table of statistics and for the PNG map;
    the file is written all the same, with a one-line warning. Where one layer of the
    export has a geometry, --crs is used and nothing is said."""
    r = run_cli("export", str(tmp_path / "t.csv"), "--layers", "tier_stats", "--crs",
                "projected", url=clustered)
    assert r.exit_code == 0, r.output
    assert "Warning: --crs projected is not used: tier_stats has no geometry" in r.output
    assert pyogrio.read_info(tmp_path / "t.csv")["features"] > 0
    r = run_cli("export", str(tmp_path / "m.png"), "--crs", "gcj02", url=clustered)
    assert r.exit_code == 0 and "Warning: --crs gcj02 is not used: a PNG map" in r.output
    for args in (["--layers", "tier_stats,clusters"], ["--layers", "tier_stats", "--crs",
                                                        "wgs84", "--format", "gpkg"]):
        r = run_cli("export", str(tmp_path / "l.gpkg"), "--overwrite", *args, url=clustered)
        assert r.exit_code == 0 and ("Warning" in r.output) == ("--crs" in args), r.output


def test_a_map_takes_no_layers(tmp_path, clustered):
    """--layers was ignored for a PNG: the map drew the clusters whatever was asked."""
    assert_one_line_error(run_cli("export", str(tmp_path / "m.png"), "--layers", "tier_stats",
                                  url=clustered), "a PNG map draws the clusters",
                          "leave --layers out")
    assert not (tmp_path / "m.png").exists()


def test_a_geopackage_carries_the_default_styles_qgis_opens(tmp_path, clustered):
    """QGIS looks up a GeoPackage layer's default style in the file's layer_styles table:
    f_table_schema '', the layer's name and geometry column, useAsDefault first (its
    OGR provider's loadStyle). An export had none, and opened unstyled."""
    from industry_clusters import qgis

    path = tmp_path / "styled.gpkg"
    export(clustered, path)
    meta, _, _, values = pyogrio.raw.read(path, layer="layer_styles")
    rows = [dict(zip(meta["fields"], row, strict=True)) for row in zip(*values, strict=True)]
    assert sorted(r["f_table_name"] for r in rows) == sorted(qgis.STYLES)
    for r in rows:
        layer = pyogrio.read_info(path, layer=r["f_table_name"])
        assert (r["f_table_schema"], r["f_geometry_column"], bool(r["useAsDefault"])) == \
            ("", layer["geometry_name"], True)
        assert r["styleQML"] == qgis.qml(r["f_table_name"])
        assert r["styleQML"].startswith("<!DOCTYPE qgis")
    # GeoPackage 1.2: the GDAL of QGIS 3.22 (Debian 12) warned at every layer of a 1.4
    import sqlite3

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200
    # a GeoPackage of tables only has no style to carry
    export(clustered, tmp_path / "tables.gpkg", layers=["tier_stats"])
    assert dict(pyogrio.list_layers(tmp_path / "tables.gpkg")) == {"tier_stats": None}


def test_a_layer_named_twice_is_written_once(tmp_path, clustered, conn):
    path = tmp_path / "twice.gpkg"
    assert export(clustered, path, layers=["clusters", "clusters"]) == {"clusters": 2}
    assert pyogrio.read_info(path, layer="clusters")["features"] == 2


def test_a_place_that_cannot_be_written_is_one_line(tmp_path, clustered):
    """A parent that is a file, or a directory the process may not write to (as root,
    only a read-only file system refuses: /proc here): one line, no file left."""
    (tmp_path / "afile").write_text("")
    for out, why in [(tmp_path / "afile" / "x.gpkg", "afile is a file, not a directory"),
                     (tmp_path / "afile" / "sub" / "x.gpkg", "afile is a file, not a directory"),
                     (Path("/proc/x.gpkg"), "cannot create a file in /proc"),
                     (Path("/proc/sub/x.gpkg"), "cannot create the directory /proc/sub")]:
        assert_one_line_error(run_cli("export", str(out), url=clustered),
                              f"cannot write {out}", why, "choose another place")
    # the other commands that write files: refused before their work, not after it
    blocked = tmp_path / "afile" / "out"
    for args in (("sensitivity", "--eps", "500", "--min-points", "30", "--no-k-distance",
                  "--png", str(blocked / "s.png")),
                 ("demo", "generate", "--out", str(blocked)),
                 ("demo", "run", "--out", str(blocked))):
        assert_one_line_error(run_cli(*args, url=clustered), "afile is a file, not a directory")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_export_refusals(tmp_path, clustered):
    path = tmp_path / "x.gpkg"
    assert run_cli("export", str(path), url=clustered).exit_code == 0
    assert_one_line_error(run_cli("export", str(path), url=clustered), "exists", "--overwrite")
    assert run_cli("export", str(path), "--overwrite", url=clustered).exit_code == 0
    assert_one_line_error(run_cli("export", str(tmp_path / "x.kml"), url=clustered),
                          "cannot tell the export format")
    assert_one_line_error(run_cli("export", str(tmp_path / "x.shp"), url=clustered),
                          "shapefiles are not written", "10 characters", ".gpkg")
    assert not (tmp_path / "x.shp").exists() and not (tmp_path / "x.kml").exists()
    assert_one_line_error(run_cli("export", str(tmp_path / "y.geojson"), "--layers",
                                  "clusters,enterprises", url=clustered), "one layer per file")
    assert_one_line_error(run_cli("export", str(tmp_path / "z.gpkg"), "--layers", "nope",
                                  url=clustered), "unknown layer 'nope'")
    r = run_cli("export", str(tmp_path / "e.gpkg"), "--layers", ",", url=clustered)
    assert r.exit_code == 2 and "names nothing" in r.output and not (tmp_path / "e.gpkg").exists()


def test_overwrite_replaces_files_only(tmp_path, clustered):
    """--overwrite replaces a regular file, never a pipe, device or directory (as root,
    an export onto /dev/full replaced the device with a file); a symbolic link is
    followed, as the shell's > follows it: the file it names is replaced and the link
    stays."""
    import os

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    assert_one_line_error(run_cli("export", str(fifo), "--overwrite", url=clustered),
                          "pipe.csv: it is not a regular file; choose another place")
    assert fifo.is_fifo()
    (tmp_path / "dir.gpkg").mkdir()
    # click's own check refuses the directory first (usage error), ours if it did not
    assert run_cli("export", str(tmp_path / "dir.gpkg"), "--overwrite",
                   url=clustered).exit_code != 0
    assert (tmp_path / "dir.gpkg").is_dir()
    real, link = tmp_path / "real.gpkg", tmp_path / "link.gpkg"
    link.symlink_to(real.name)
    assert run_cli("export", str(link), url=clustered).exit_code == 0
    assert link.is_symlink() and pyogrio.read_info(real, layer="clusters")["features"] == 2
    assert_one_line_error(run_cli("export", str(link), url=clustered),
                          "link.gpkg exists; pass --overwrite")
    r = run_cli("export", str(link), "--layers", "clusters", "--overwrite", url=clustered)
    assert r.exit_code == 0, r.output
    assert link.is_symlink() and [n for n, _ in pyogrio.list_layers(real)] == [
        "clusters", "layer_styles"]
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    assert_one_line_error(run_cli("export", str(tmp_path / "a"), "--format", "csv",
                                  url=clustered), "cannot write")


def test_district_boundaries_are_exported_with_any_run(tmp_path, clustered, conn):
    """The boundaries the clusters' districts come from, as a polygon layer: where the
    database has them, in WGS-84, and the same with --run (they belong to no run)."""
    import numpy as np

    src = tmp_path / "d.geojson"
    box = shapely.box(113.0, 22.9, 113.2, 23.1)
    pyogrio.raw.write(src, shapely.to_wkb(np.array([box])),
                      [np.array(["440604"], dtype=object), np.array(["禅城区"], dtype=object)],
                      ["adcode", "name"], geometry_type="Polygon", crs="EPSG:4326",
                      driver="GeoJSON")
    assert run_cli("load-districts", str(src), "--crs", "wgs84", url=clustered).exit_code == 0
    assert run_cli("refresh", url=clustered).exit_code == 0
    run = conn.execute("SELECT clustering.published_run()").fetchone()[0]
    for args in ((), ("--run", str(run))):
        out = tmp_path / f"d{len(args)}.gpkg"
        r = run_cli("export", str(out), "--layers", "districts", *args, url=clustered)
        assert r.exit_code == 0, r.output
        _, _, geoms, fields = pyogrio.raw.read(out, layer="districts")
        assert [str(v) for v in fields[1]] == ["440604"] and list(fields[2]) == ["禅城区"]
        got = shapely.from_wkb(geoms)[0]
        assert got.geom_type == "MultiPolygon"
        assert got.symmetric_difference(box).area < 1e-6 * box.area


@pytest.mark.parametrize("name", ["typed.gpkg", "typed.fgb", "typed.geojson"])
def test_columns_keep_their_types_in_every_batch(tmp_path, clustered, conn, monkeypatch, name):
    """Integer keys stay integers, numbers numbers, flags booleans, whether the first
    batch holds a NULL or not (an enterprise outside clusters has no cluster_key): QGIS
    joins enterprises to clusters on cluster_key, an integer in both."""
    import industry_clusters.export as ex

    monkeypatch.setattr(ex, "BATCH", 7)
    path = tmp_path / name
    export(clustered, path, layers=["enterprises"])
    info = pyogrio.read_info(path, layer="enterprises")
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert all(types[c].startswith("int") for c in
               ("enterprise_id", "cluster_key", "cluster_label")), types
    assert types["digital_label"] == "bool", types
    if not name.endswith(".geojson"):  # GeoJSON keeps no schema: its reader guesses
        assert types["capital_cny"] == "float64", types  # from the values, all NULL here
    got = _fields(path, "enterprises")
    want = dict(conn.execute("SELECT enterprise_id, cluster_key FROM publish.enterprises"))
    assert None in want.values() and len(set(want.values())) > 2
    assert {int(i): k for i, k in zip(got["enterprise_id"], got["cluster_key"], strict=True)
            } == want


def test_png_map(tmp_path, clustered):
    path = tmp_path / "map.png"
    r = run_cli("export", str(path), url=clustered)
    assert r.exit_code == 0, r.output
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    assert_one_line_error(run_cli("export", str(path), url=clustered), "--overwrite")


def test_png_map_the_same_in_many_batches(tmp_path, db_url, conn, monkeypatch):
    """The map reads the enterprises outside clusters in batches: every batch is drawn,
    pixel for pixel the map of one batch."""
    from PIL import Image

    import industry_clusters.export as ex

    rng = random.Random(2)
    insert_points(conn, blob(rng, 50, 0, 0, 150))
    insert_points(conn, [(rng.uniform(-9000, 9000), rng.uniform(-9000, 9000)) for _ in range(60)])
    run_clustering(db_url)

    def pixels(name: str) -> bytes:
        assert run_cli("export", str(tmp_path / name), url=db_url).exit_code == 0
        return Image.open(tmp_path / name).convert("RGB").tobytes()

    whole = pixels("whole.png")
    monkeypatch.setattr(ex, "BATCH", 7)
    assert pixels("batches.png") == whole


@pytest.mark.parametrize("name", ["many.gpkg", "many.fgb", "many.geojson", "many.csv"])
def test_exports_in_many_batches(tmp_path, clustered, conn, monkeypatch, name):
    """Layers larger than one batch come out whole in every format."""
    import industry_clusters.export as ex

    monkeypatch.setattr(ex, "BATCH", 7)
    path = tmp_path / name
    written = export(clustered, path, layers=["enterprises"])
    total = conn.execute("SELECT count(*) FROM publish.enterprises").fetchone()[0]
    assert written == {"enterprises": total} and total > 3 * 7
    layer = "enterprises" if name.endswith("gpkg") else None  # beside layer_styles
    assert pyogrio.read_info(path, layer=layer)["features"] == total
    ids = pyogrio.raw.read(path, layer=layer)[3][0]
    assert sorted(int(i) for i in ids) == sorted(
        r[0] for r in conn.execute("SELECT enterprise_id FROM publish.enterprises"))


def _fields(path, layer=None) -> dict[str, list]:
    """A layer's attribute columns as read back by GDAL (a NULL number, NaN in numpy's
    arrays, as None: comparable)."""
    meta = pyogrio.read_info(path, layer=layer)
    cols = pyogrio.raw.read(path, layer=layer)[3]
    return {name: [None if isinstance(v, float) and v != v else v for v in col]
            for name, col in zip(meta["fields"], cols, strict=True)}


def test_export_of_an_earlier_run(tmp_path, clustered, conn):
    """--run ID exports that run's layers, not the published one's, and the statistics
    of a run are what its views showed while it was published."""
    first = conn.execute("SELECT clustering.published_run()").fetchone()[0]
    stats_then = run_cli("stats", "--format", "json", url=clustered).output
    # a second run with a smaller eps: the 40-point blob alone (mean spacing ~40 m) stays
    second = run_clustering(clustered, eps=60, min_points=10).run_id
    assert conn.execute("SELECT clustering.published_run()").fetchone()[0] == second
    assert run_cli("stats", "--format", "json", url=clustered).output != stats_then
    r = run_cli("stats", "--format", "json", "--run", str(first), url=clustered)
    assert r.exit_code == 0 and r.output == stats_then

    old, new = tmp_path / "old.gpkg", tmp_path / "new.gpkg"
    assert run_cli("export", str(old), "--run", str(first), url=clustered).exit_code == 0
    assert run_cli("export", str(new), url=clustered).exit_code == 0
    for path, run in ((old, first), (new, second)):
        clusters = _fields(path, "clusters")
        db = conn.execute("SELECT cluster_id, n_members FROM clustering.clusters "
                          "WHERE run_id = %s ORDER BY cluster_id", (run,)).fetchall()
        assert set(clusters["run_id"]) == {run}
        assert [(int(a), int(b)) for a, b in zip(clusters["cluster_id"], clusters["n_members"],
                                                 strict=True)] == db
        ents = _fields(path, "enterprises")
        members = dict(conn.execute("SELECT m.enterprise_id, c.cluster_key FROM clustering.members "
                                    "m JOIN clustering.clusters c USING (run_id, cluster_id) "
                                    "WHERE m.run_id = %s", (run,)))
        got = {int(e): int(c) for e, c in zip(ents["enterprise_id"], ents["cluster_key"],
                                              strict=True) if c is not None}
        assert got == members and len(ents["enterprise_id"]) == 92
        # the layers join on the persistent key, as in publish: each cluster's members
        sizes = dict(zip(clusters["cluster_key"], clusters["n_members"], strict=True))
        assert Counter(got.values()) == {int(k): int(n) for k, n in sizes.items()}
        assert list(_fields(path, "cluster_centroids")["cluster_key"]) == \
            list(clusters["cluster_key"])
        assert pyogrio.read_info(path, layer="clusters")["layer_metadata"]["DESCRIPTION"] \
            .startswith("industry-clusters clusters (" +
                        (f"clustering run {run})" if path == old else "published run)"))
    assert _fields(old, "clusters")["n_members"] != _fields(new, "clusters")["n_members"]


def test_export_of_a_run_that_has_no_results(tmp_path, clustered, conn):
    failed = conn.execute("SELECT clustering.start_run()").fetchone()[0]
    conn.execute("SELECT clustering.fail_run(%s, 'test')", (failed,))
    conn.commit()
    for run, says in ((failed, f"clustering run {failed} is failed"),
                      (failed + 100, f"there is no clustering run {failed + 100}")):
        for args in (["export", str(tmp_path / "x.gpkg")], ["export", str(tmp_path / "x.png")],
                     ["stats"]):
            assert_one_line_error(run_cli(*args, "--run", str(run), url=clustered), says)
    assert not (tmp_path / "x.gpkg").exists() and not (tmp_path / "x.png").exists()


def test_export_of_an_empty_registry(tmp_path, db_url):
    """Nothing loaded, nothing clustered (a first nightly on an empty file, say): every
    layer and table is still written, empty, with its columns, type and CRS, and a CSV
    has its header. It used to end in a traceback."""
    assert run_cli("cluster", url=db_url).exit_code == 0
    path = tmp_path / "empty.gpkg"
    r = run_cli("export", str(path), url=db_url)
    assert r.exit_code == 0, r.output
    assert {name for name, _ in pyogrio.list_layers(path)} == {*LAYERS, "layer_styles"}
    for name, layer in LAYERS.items():
        info = pyogrio.read_info(path, layer=name)
        assert info["features"] == 0
        assert len(info["fields"]) >= 3, name  # the columns, not a bare layer
        assert info["geometry_type"] == layer.geometry_type
        assert (info["crs"] == "EPSG:4326") == (layer.geometry is not None)
    assert "cluster_key" in pyogrio.read_info(path, layer="clusters")["fields"]
    csv = tmp_path / "stats.csv"
    assert run_cli("export", str(csv), "--layers", "tier_stats", url=db_url).exit_code == 0
    assert csv.read_text(encoding="utf-8-sig").splitlines() == [
        "stat_id,sector,tier,clusters,enterprises,mean_size,mean_density_per_km2,districts,"
        "districts_present"]


def test_runs_lists_runs_newest_first(clustered):
    import csv
    import io

    run_clustering(clustered, eps=60, min_points=10, method="cells")
    r = run_cli("runs", "--format", "csv", url=clustered)
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("run_id,status,published")
    ids = [int(ln.split(",")[0]) for ln in lines[1:]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 2
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert [row["published"] for row in rows] == ["true", "false"]
    assert [row["method"] for row in rows] == ["cells", "auto"]
    assert rows[0]["sectors"] == "comms, software"  # not Python's ['comms', 'software']


@pytest.mark.parametrize("name", ["s.gpkg", "s.fgb", "s.geojson"])
@pytest.mark.parametrize("stop", ["SIGTERM", "query_canceled"])
def test_what_stops_a_layer_midway_is_raised_as_itself(tmp_path, clustered, monkeypatch,
                                                       name, stop):
    """GDAL pulls the batches and reports a failure in one as its own RuntimeError; the
    export raises what stopped it instead: the signal (exit 143, one line), the database
    error (one line). No file is left."""
    import signal

    import psycopg

    import industry_clusters.export as ex
    from industry_clusters.errors import Terminated

    real = ex.in_batches
    error = (Terminated(signal.SIGTERM) if stop == "SIGTERM"
             else psycopg.errors.QueryCanceled("canceling statement due to user request"))

    def stopped_after_one_batch(cur):
        batches = real(cur)
        yield next(batches)
        raise error

    monkeypatch.setattr(ex, "BATCH", 7)
    monkeypatch.setattr(ex, "in_batches", stopped_after_one_batch)
    with pytest.raises(type(error)) as raised:
        export(clustered, tmp_path / name, layers=["enterprises"])
    assert raised.value is error
    assert list(tmp_path.iterdir()) == []
    if stop == "query_canceled":
        assert_one_line_error(run_cli("export", str(tmp_path / name), "--layers", "enterprises",
                                      url=clustered), "database error: canceling statement")


@pytest.mark.parametrize("name", ["big.gpkg", "big.geojson", "big.fgb", "big.csv"])
def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, db_url, conn, name):
    """The disk fills up halfway (played by a file-size limit on the command's process:
    Python ignores SIGXFSZ, so writes past it fail with EFBIG, as on a full disk). One
    line and exit 1, no traceback, no file left."""
    import random
    import resource
    import subprocess
    import sys

    rng = random.Random(6)
    insert_points(conn, [(rng.uniform(-9000, 9000), rng.uniform(-9000, 9000))
                         for _ in range(1500)])
    conn.commit()
    run_clustering(db_url)

    def limited():
        resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000))

    proc = subprocess.run([sys.executable, "-m", "industry_clusters", "--database-url", db_url,
                           "export", str(tmp_path / name), "--layers", "enterprises"],
                          capture_output=True, text=True, preexec_fn=limited, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    line = proc.stderr.strip()
    assert "\n" not in line and line.startswith("Error: ") and "run the command again" in line
    assert list(tmp_path.iterdir()) == []


def test_a_failed_export_leaves_the_previous_file(tmp_path, clustered, conn, monkeypatch):
    import industry_clusters.export as ex

    path = tmp_path / "out.gpkg"
    export(clustered, path)
    before = path.read_bytes()
    bad = conn.execute("SELECT max(run_id) + 1 FROM clustering.runs").fetchone()[0]
    assert_one_line_error(run_cli("export", str(path), "--overwrite", "--run", str(bad),
                                  url=clustered), "no clustering run")
    real = ex._write_layer

    def fail_on_second_layer(output, fmt, layer, *a, **kw):
        if layer.name != "enterprises":
            raise OSError("disk full")
        return real(output, fmt, layer, *a, **kw)

    monkeypatch.setattr(ex, "_write_layer", fail_on_second_layer)
    with pytest.raises(OSError):
        export(clustered, path, overwrite=True)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.gpkg"]  # no partial file left
