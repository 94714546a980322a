"""QGIS styles, the reader role, and the README's SQL cookbook, against a real PostGIS."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET

import psycopg
import pytest
from points import blob, insert_points
from psycopg import sql

from helpers import run_cli
from industry_clusters.cluster import run_clustering
from industry_clusters.paths import ROOT
from industry_clusters.qgis import STYLES


@pytest.fixture
def clustered(db_url, conn):
    rng = random.Random(3)
    for n, x in ((35, 0), (70, 3000), (160, 6000)):
        insert_points(conn, blob(rng, n, x, 0, 150))
    insert_points(conn, blob(rng, 40, 0, 3000, 150), sector="comms", district="南海区")
    run_clustering(db_url)
    return db_url


def _categories(qml: str) -> tuple[str, set[str]]:
    root = ET.fromstring(qml)
    renderer = root.find("renderer-v2")
    return renderer.get("attr"), {c.get("value") for c in renderer.iter("category")}


def _attributes(qml: str) -> set[str]:
    """The columns a style reads: its renderer's attribute (a name, or the quoted names
    of an expression) and its labels' field."""
    root = ET.fromstring(qml)
    attr = root.find("renderer-v2").get("attr") or ""
    used = set(re.findall(r'"(\w+)"', attr)) or ({attr} if attr else set())
    return used | {t.get("fieldName") for t in root.iter("text-style")}


def test_qml_files_match_the_published_values(conn):
    sectors = {r[0] for r in conn.execute("SELECT code FROM registry.sectors")}
    tiers = {"core", "medium", "small"}
    attr, values = _categories((ROOT / "qgis" / "clusters.qml").read_text(encoding="utf-8"))
    assert values == {f"{s} {t}" for s in sectors for t in tiers}
    assert '"sector"' in attr and '"tier"' in attr
    attr, values = _categories((ROOT / "qgis" / "enterprises.qml").read_text(encoding="utf-8"))
    assert attr == "sector" and values == sectors


# The geometry type QGIS names a publish layer by: "Unknown geometry" when its URI gives
# none (a layer added by a script), else the type's display name (the browser's URI).
GEOMETRY_TYPES = {"clusters": "Polygon", "districts": "Polygon", "enterprises": "Point"}


def qgis_default_style(conn, table: str, geometry_type: str) -> str | None:
    """The QML QGIS's PostgreSQL provider loads as a layer's default style: its lookup in
    public.layer_styles, by catalog, schema, table, geometry column and type (or a NULL
    type), defaults first. Checked against QGIS 3.22 (Debian 12): a style of type
    'Vector', as written until revision 0067, was not loaded, the same style of type
    NULL was, with or without a geometry type in the layer's URI."""
    row = conn.execute(
        "SELECT styleqml::text FROM public.layer_styles WHERE f_table_catalog = "
        "current_database() AND f_table_schema = 'publish' AND f_table_name = %s AND "
        "f_geometry_column = 'geom' AND (type = %s OR type IS NULL) "
        "ORDER BY CASE WHEN useasdefault THEN 1 ELSE 2 END, update_time DESC LIMIT 1",
        (table, geometry_type)).fetchone()
    return row[0] if row else None


def test_install_styles_writes_one_default_per_layer(clustered, conn):
    for _ in range(2):
        r = run_cli("qgis", "install-styles", url=clustered)
        assert r.exit_code == 0, r.output
    rows = conn.execute(
        "SELECT f_table_catalog, f_table_schema, f_table_name, f_geometry_column, useasdefault, "
        "styleqml::text FROM public.layer_styles ORDER BY f_table_name").fetchall()
    assert [r[2] for r in rows] == sorted(STYLES)
    for catalog, schema, table, geom_col, default, qml in rows:
        assert catalog == conn.info.dbname and schema == "publish" and default
        # the geometry column and the attributes the style uses exist in the relation
        cols = {r[0] for r in conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0",
            (f"publish.{table}",))}
        assert geom_col in cols and _attributes(qml) <= cols, table
        assert qml == (ROOT / "qgis" / STYLES[table]).read_text(encoding="utf-8")
        for geometry_type in ("Unknown geometry", GEOMETRY_TYPES[table]):
            assert qgis_default_style(conn, table, geometry_type) == qml, table


def test_reader_role_sees_publish_only(clustered, pg_server):
    """Readers (analysts, GIS staff) read publish and nothing else, and the default
    QGIS styles, which QGIS reads as the user who opens the layers: readers got
    "permission denied for table layer_styles" and unstyled layers until revision
    0068. They cannot change the defaults."""
    assert run_cli("qgis", "install-styles", url=clustered).exit_code == 0
    with pg_server.admin() as a:
        a.execute("DROP ROLE IF EXISTS ic_analyst")
        a.execute("CREATE ROLE ic_analyst LOGIN PASSWORD 'pw' IN ROLE industry_clusters_reader")
    try:
        url = pg_server.as_role(clustered, "ic_analyst", "pw")
        with psycopg.connect(url, autocommit=True) as c:
            for table, geometry_type in GEOMETRY_TYPES.items():
                assert qgis_default_style(c, table, geometry_type), table
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute("UPDATE public.layer_styles SET useasdefault = false")
            for rel in ("clusters", "enterprises", "district_sector_stats", "tier_stats",
                        "tier_structure", "cluster_runs", "districts"):
                c.execute(sql.SQL("SELECT count(*) FROM publish.{}").format(sql.Identifier(rel)))
            for rel in ("registry.enterprises", "registry.rejects", "clustering.clusters"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    c.execute(f"SELECT 1 FROM {rel} LIMIT 1")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute("SELECT clustering.run()")
            with pytest.raises(psycopg.Error):
                c.execute("DELETE FROM publish.clusters")
            assert c.execute("SELECT publish.to_wgs84(113.1, 23.0, 'gcj02') IS NOT NULL"
                             ).fetchone()[0]
    finally:
        with pg_server.admin() as a:
            a.execute("DROP ROLE IF EXISTS ic_analyst")


def _cookbook() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("Queries to paste into psql:", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    return [s.strip() for s in block.split(";") if s.strip() and not
            all(ln.startswith("--") for ln in s.strip().splitlines())]


def test_the_readme_cookbook_runs(clustered, conn):
    statements = _cookbook()
    assert len(statements) >= 7
    published = conn.execute("SELECT clustering.published_run(), count(*) FROM publish.clusters "
                             "GROUP BY 1").fetchone()
    results = []
    for stmt in statements:
        big = conn.execute("SELECT cluster_key FROM publish.clusters ORDER BY n_members DESC "
                           "LIMIT 1").fetchone()[0]
        stmt = re.sub(r"cluster_key = \d+", f"cluster_key = {big}", stmt)
        results.append(conn.execute(stmt).fetchall())
        conn.commit()
    table1, top10, mix, survey, members, runs, run = results
    assert {(r[0], r[1]) for r in table1} == {("comms", "南海区"), ("software", "禅城区")}
    assert [r[3] for r in top10] == sorted((r[3] for r in top10), reverse=True)
    assert sum(r[3] for r in mix) == 305
    assert all(0 <= float(r[1]) <= 1 for r in survey)
    assert len(members) == 160
    assert [(r[0], r[3]) for r in runs] == [published]
    assert run[0][0] > 1


def test_every_spatial_layer_opens_in_qgis_without_prompting(conn):
    """Each relation of publish with geometry: typed geometry and SRID in
    geometry_columns, and an integer key column with a unique index (QGIS asks for a
    key on anything less, e.g. a plain view)."""
    layers = conn.execute(
        "SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = 'publish'"
    ).fetchall()
    assert {r[0] for r in layers} >= {"clusters", "enterprises", "districts"}
    for name, gtype, srid in layers:
        assert gtype != "GEOMETRY" and srid == 4547, name
        keys = conn.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_index i "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
            "WHERE i.indrelid = %s::regclass AND i.indisunique AND i.indnatts = 1",
            (f"publish.{name}",)).fetchall()
        assert any(t in ("integer", "bigint") for _, t in keys), (name, keys)
