"""Exports read back with GDAL (pyogrio): layers, CRS, counts, validity, values."""

from __future__ import annotations

import random

import pyogrio
import pytest
import shapely
from points import blob, insert_points

from helpers import assert_one_line_error, run_cli
from industry_clusters.cluster import run_clustering
from industry_clusters.export import export


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
                      "cluster_centroids": "Point", "district_sector_stats": None,
                      "tier_stats": None, "tier_structure": None}
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
        ra = pyogrio.raw.read(a, layer=layer)
        rb = pyogrio.raw.read(b, layer=layer)
        assert [list(x) for x in ra[3]] == [list(x) for x in rb[3]]


@pytest.mark.parametrize("crs, expected", [("wgs84", "EPSG:4326"), ("projected", "EPSG:4547"),
                                           ("gcj02", "EPSG:4326")])
def test_crs_choices(tmp_path, clustered, conn, crs, expected):
    path = tmp_path / f"c_{crs}.fgb"
    export(clustered, path, layers=["cluster_centroids"], crs=crs)
    assert pyogrio.read_info(path)["crs"] == expected
    _, _, geoms, _ = pyogrio.raw.read(path)
    p = shapely.from_wkb(geoms[0])
    lon, lat = conn.execute("SELECT centroid_lon, centroid_lat FROM publish.clusters "
                            "ORDER BY cluster_id LIMIT 1").fetchone()
    if crs == "wgs84":
        assert (p.x, p.y) == pytest.approx((lon, lat), abs=1e-9)
    elif crs == "gcj02":  # shifted by the GCJ-02 offset (hundreds of metres here)
        assert 0.002 < abs(p.x - lon) < 0.01
    else:
        assert p.x > 100000  # metres


def test_geojson_and_csv(tmp_path, clustered):
    gj = tmp_path / "c.geojson"
    assert run_cli("export", str(gj), url=clustered).exit_code == 0
    assert pyogrio.read_info(gj)["features"] == 2
    csv_path = tmp_path / "t.csv"
    r = run_cli("export", str(csv_path), "--layers", "district_sector_stats", url=clustered)
    assert r.exit_code == 0, r.output
    assert pyogrio.read_info(csv_path)["features"] == 2


def test_export_refusals(tmp_path, clustered):
    path = tmp_path / "x.gpkg"
    assert run_cli("export", str(path), url=clustered).exit_code == 0
    assert_one_line_error(run_cli("export", str(path), url=clustered), "exists", "--overwrite")
    assert run_cli("export", str(path), "--overwrite", url=clustered).exit_code == 0
    assert_one_line_error(run_cli("export", str(tmp_path / "x.shp"), url=clustered),
                          "cannot tell the export format")
    assert_one_line_error(run_cli("export", str(tmp_path / "y.geojson"), "--layers",
                                  "clusters,enterprises", url=clustered), "one layer per file")
    assert_one_line_error(run_cli("export", str(tmp_path / "z.gpkg"), "--layers", "nope",
                                  url=clustered), "unknown layer 'nope'")


def test_png_map(tmp_path, clustered):
    path = tmp_path / "map.png"
    r = run_cli("export", str(path), url=clustered)
    assert r.exit_code == 0, r.output
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    assert_one_line_error(run_cli("export", str(path), url=clustered), "--overwrite")


@pytest.mark.parametrize("name", ["many.gpkg", "many.fgb", "many.geojson", "many.csv"])
def test_exports_in_many_batches(tmp_path, clustered, conn, monkeypatch, name):
    """Layers larger than one batch come out whole in every format."""
    import industry_clusters.export as ex

    monkeypatch.setattr(ex, "BATCH", 7)
    path = tmp_path / name
    written = export(clustered, path, layers=["enterprises"])
    total = conn.execute("SELECT count(*) FROM publish.enterprises").fetchone()[0]
    assert written == {"enterprises": total} and total > 3 * 7
    assert pyogrio.read_info(path, layer="enterprises" if name.endswith("gpkg") else None
                             )["features"] == total
    ids = pyogrio.raw.read(path)[3][0]
    assert sorted(int(i) for i in ids) == sorted(
        r[0] for r in conn.execute("SELECT enterprise_id FROM publish.enterprises"))
