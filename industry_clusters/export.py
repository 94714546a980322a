"""Export: the published layers and tables to files, written by GDAL (pyogrio).

Formats: GeoPackage (all layers in one file, statistics as attribute tables),
GeoJSON and FlatGeobuf (one layer per file), CSV (one table or layer, geometry as
WKT), PNG (the map). Rows come from a server-side cursor and are written batch by
batch, so memory stays bounded whatever the layer size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from psycopg import sql

from industry_clusters import qgis
from industry_clusters.db import BATCH, in_batches, snapshot
from industry_clusters.errors import UserError, first_line
from industry_clusters.paths import format_from_suffix, replacing
from industry_clusters.publish import cell_text, check_run, layer_source

EXPORT_CRS = ("wgs84", "gcj02", "projected")
FORMATS = {".gpkg": "gpkg", ".geojson": "geojson", ".json": "geojson", ".fgb": "fgb",
           ".csv": "csv", ".png": "png"}
DRIVERS = {"gpkg": "GPKG", "geojson": "GeoJSON", "fgb": "FlatGeobuf"}
# GeoPackage 1.2, not the 1.4 of the GDAL pyogrio brings: the GDAL of QGIS 3.22 (Debian
# 12, GDAL 3.6) warned "user_version 1.4.0 may only be partially supported" at every
# layer it opened; nothing of 1.3 or 1.4 is used
GPKG_DATASET = {"VERSION": "1.2"}


@dataclass(frozen=True)
class Layer:
    name: str
    view: str
    columns: str  # non-geometry columns, SQL
    geometry: str | None  # geometry expression in the projected SRID
    geometry_type: str | None
    order: str
    of_run: bool = True  # has a version per clustering run (publish.<view>_of(run))


LAYERS = {
    "enterprises": Layer("enterprises", "enterprises",
                         "enterprise_id, credit_code, name, sector, digital_label, district_code, "
                         "district_name, size_class, digital_transformation, "
                         "capital_cny::float8 AS capital_cny, established::text AS established, "
                         "cluster_key, cluster_label, dbscan_role, tier",
                         "geom", "Point", "enterprise_id"),
    "clusters": Layer("clusters", "clusters",
                      "cluster_id, cluster_key, run_id, sector, label, n_members, n_core, tier, "
                      "tier_rank, "
                      "district_code, district_name, area_km2, density_per_km2",
                      "geom", "MultiPolygon", "cluster_id"),
    "cluster_centroids": Layer("cluster_centroids", "clusters",
                               "cluster_id, cluster_key, run_id, sector, label, n_members, "
                               "tier, tier_rank, district_name",
                               "ST_Transform(ST_SetSRID(ST_MakePoint(centroid_lon, centroid_lat),"
                               " 4326), ST_SRID(geom))", "Point", "cluster_id"),
    # the boundaries the clusters were assigned districts by (load-districts); the same
    # for every run, empty when none are loaded
    "districts": Layer("districts", "districts", "district_id, code, name", "geom",
                       "MultiPolygon", "district_id", of_run=False),
    "district_sector_stats": Layer("district_sector_stats", "district_sector_stats",
                                   "*", None, None, "stat_id"),
    "tier_stats": Layer("tier_stats", "tier_stats", "*", None, None, "stat_id"),
    "tier_structure": Layer("tier_structure", "tier_structure", "*", None, None, "stat_id"),
}


# Formats not written, and why: a user who types out.shp is told what to use instead,
# not only which extensions exist.
NOT_WRITTEN = {
    ".shp": "shapefiles are not written: their field names stop at 10 characters, so "
            "share_of_city_clusters and mean_density_per_km2 would be cut short and "
            "centroid_lon / centroid_lat collide; write .gpkg, which QGIS and ArcGIS open",
}


def detect_format(path: Path, fmt: str | None) -> str:
    if not fmt and (why := NOT_WRITTEN.get(path.suffix.lower())):
        raise UserError(f"{path.name}: {why}")
    return format_from_suffix(path, fmt, FORMATS, "export")


def _query(layer: Layer, crs: str, run: int | None) -> sql.Composed:
    cols = sql.SQL(layer.columns)
    source = layer_source(layer.view, run if layer.of_run else None)
    if layer.geometry is None:
        return sql.SQL("SELECT {} FROM {} ORDER BY {}").format(cols, source, sql.SQL(layer.order))
    return sql.SQL("SELECT {}, ST_AsBinary(publish.export_geom({}, {})) AS wkb "
                   "FROM {} ORDER BY {}").format(
        cols, sql.SQL(layer.geometry), sql.Literal(crs), source, sql.SQL(layer.order))


def _arrow_schema(cur):
    """The Arrow types of a layer query's columns, from PostgreSQL's: integers, floats
    (numeric too), booleans and dates keep their type, NULL or not, in every batch; the
    rest is text; the trailing WKB geometry is binary."""
    import pyarrow as pa

    types = {"int2": pa.int16(), "int4": pa.int32(), "int8": pa.int64(),
             "float4": pa.float32(), "float8": pa.float64(), "numeric": pa.float64(),
             "bool": pa.bool_(), "date": pa.date32(), "bytea": pa.binary()}
    fields = []
    for d in cur.description:
        t = cur.connection.adapters.types.get(d.type_code)
        fields.append(pa.field(d.name, types.get(t.name if t else "text", pa.string())))
    return pa.schema(fields)


def _arrow_column(values: list, t):
    import pyarrow as pa

    if pa.types.is_floating(t):  # numeric comes as Decimal
        values = [None if v is None else float(v) for v in values]
    elif pa.types.is_string(t):
        values = [None if v is None else str(v) for v in values]
    return pa.array(values, type=t)


def export(target, output: Path, *, layers: list[str] | None = None, crs: str | None = None,
           fmt: str | None = None, overwrite: bool = False,
           run: int | None = None) -> dict[str, int]:
    """Write the published layers (or those of clustering run ``run``) to ``output``;
    returns features written per layer. ``crs``: of the geometries, wgs84 by default;
    given for what has none (a table, a PNG map), it warns that it is not used."""
    import warnings

    output = Path(output)
    fmt = detect_format(output, fmt)
    if crs is not None and crs not in EXPORT_CRS:
        raise UserError(f"unknown --crs {crs!r}; choose one of {', '.join(EXPORT_CRS)}")
    if fmt == "png":
        if layers:  # they were ignored
            raise UserError("a PNG map draws the clusters over the enterprises and districts; "
                            "leave --layers out, or export the layers as .gpkg")
        if crs is not None:
            warnings.warn(f"--crs {crs} is not used: a PNG map is drawn in the projected "
                          "SRID", stacklevel=2)
        return _export_png(target, output, overwrite, run)
    # each layer once (a layer named twice was written twice, its rows doubled)
    names = list(dict.fromkeys(layers or (list(LAYERS) if fmt == "gpkg" else ["clusters"])))
    unknown = [n for n in names if n not in LAYERS]
    if unknown:
        raise UserError(f"unknown layer {unknown[0]!r}; layers are {', '.join(LAYERS)}")
    if fmt in ("geojson", "fgb") and len(names) > 1:
        raise UserError(f"{fmt} holds one layer per file; pass one --layers or use .gpkg")
    if fmt in ("geojson", "fgb") and LAYERS[names[0]].geometry is None:
        raise UserError(f"{names[0]} is a table without geometry; export it as .csv or .gpkg")
    if fmt == "csv" and len(names) > 1:
        raise UserError("a CSV holds one table; pass one --layers or use .gpkg")
    if crs is not None and all(LAYERS[n].geometry is None for n in names):
        warnings.warn(f"--crs {crs} is not used: {', '.join(names)} "
                      f"{'has' if len(names) == 1 else 'have'} no geometry", stacklevel=2)
    crs = crs or "wgs84"
    written: dict[str, int] = {}
    with replacing(output, overwrite, fmt) as part, snapshot(target) as conn:
        check_run(conn, run)
        # from the published layer itself: readers may not see internal tables
        srid = conn.execute("SELECT Find_SRID('publish', 'clusters', 'geom')").fetchone()[0]
        epsg = f"EPSG:{srid}" if crs == "projected" else "EPSG:4326"
        for name in names:
            layer = LAYERS[name]
            with conn.cursor(name=f"export_{name}") as cur:
                cur.itersize = BATCH
                cur.execute(_query(layer, crs, run))
                # an empty layer is written all the same, with its columns: a table or
                # layer with nothing in it still exists
                written[name] = (_write_csv(part, cur, layer) if fmt == "csv" else
                                 _write_layer(part, fmt, layer, cur, epsg, crs, run,
                                              append=bool(written)))
        if fmt == "gpkg":  # QGIS opens the layers styled, as publish.* in PostGIS
            qgis.write_geopackage_styles(part, names)
    return written


def _names(cur, layer: Layer) -> list[str]:
    """Attribute column names of a layer's query (the trailing WKB column left out)."""
    cols = [d.name for d in cur.description]
    return cols[:-1] if layer.geometry is not None else cols


def _write_layer(output: Path, fmt: str, layer: Layer, cur, epsg: str, crs: str,
                 run: int | None, *, append: bool) -> int:
    """Write a layer query's rows as one GDAL layer, in one pass: the batches go to GDAL
    as an Arrow stream. Written batch by batch with append, GeoJSON and FlatGeobuf
    re-read the file at each batch (115 s and 99 s for 1.1 million enterprises), and a
    column took its type from the first batch: an integer column with a NULL there (an
    enterprise outside clusters) became text. Returns the features written."""
    import pyarrow as pa
    import pyogrio

    schema = _arrow_schema(cur)
    count = 0
    failed: list[BaseException] = []

    def batches() -> Iterator[pa.RecordBatch]:
        nonlocal count
        try:
            for rows in in_batches(cur):
                count += len(rows)
                yield pa.record_batch([_arrow_column([r[i] for r in rows], f.type)
                                       for i, f in enumerate(schema)], schema=schema)
        except BaseException as exc:  # GDAL reports it as "Error while accessing batch"
            failed.append(exc)
            raise

    geometry = layer.geometry is not None
    try:
        pyogrio.raw.write_arrow(pa.RecordBatchReader.from_batches(schema, batches()), output,
                                layer=layer.name, driver=DRIVERS[fmt],
                                geometry_name=schema.names[-1] if geometry else None,
                                geometry_type=layer.geometry_type,
                                crs=epsg if geometry else None, append=append,
                                layer_options={"DESCRIPTION": _description(layer.name, crs,
                                                                           run)}
                                if fmt == "gpkg" else None,
                                dataset_options=GPKG_DATASET if fmt == "gpkg" and not append
                                else None)
    except Exception as exc:
        # what stopped the stream, as itself: a signal (exit 130/143, one line), a
        # database error (one line), not GDAL's RuntimeError and a traceback
        if failed:
            raise failed[0] from None
        if isinstance(exc, (pyogrio.errors.DataLayerError, pyogrio.errors.DataSourceError)):
            # the disk, not our code: a full disk gave "Cannot write feature" or "cannot
            # rollback - no transaction is active", with a traceback
            raise UserError(f"GDAL could not write the {layer.name} layer ({first_line(exc)}); "
                            "is the disk full, or the file too large for it? Make room or "
                            "choose another folder, then run the command again") from None
        raise
    return count


def _export_png(target, output: Path, overwrite: bool, run: int | None) -> dict[str, int]:
    """The map of the clusters over district outlines (as in the demo)."""
    from industry_clusters.demo import mapplot

    with replacing(output, overwrite, "png") as part, snapshot(target) as conn:
        check_run(conn, run)
        mapplot.draw(conn, part, run=run)
        n = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
            layer_source("clusters", run))).fetchone()[0]
    return {"clusters": n}


def _description(name: str, crs: str, run: int | None) -> str:
    what = {"gcj02": "coordinates in GCJ-02 (Amap) lon/lat, labelled EPSG:4326",
            "wgs84": "WGS-84", "projected": "projected SRID"}[crs]
    which = ("district boundaries" if not LAYERS[name].of_run else
             "published run" if run is None else f"clustering run {run}")
    return f"industry-clusters {name} ({which}); {what}"


def _write_csv(output: Path, cur, layer: Layer) -> int:
    """A layer query's rows as CSV, values as ``stats`` writes them (true / false, not
    Python's True / False), geometry as WKT; returns the rows written. UTF-8 with
    a byte-order mark: Excel, which most analysts open a CSV with, reads UTF-8 only when
    the mark is there (without it, Chinese names come out garbled); GDAL, QGIS, pandas
    and Python's utf-8-sig read it as the plain header."""
    import csv

    import shapely

    count = 0
    with open(output, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([*_names(cur, layer), *(["wkt"] if layer.geometry is not None else [])])
        for rows in in_batches(cur):
            count += len(rows)
            if layer.geometry is None:
                w.writerows([cell_text(v) for v in r] for r in rows)
                continue
            geoms = shapely.from_wkb([bytes(r[-1]) for r in rows])
            for r, g in zip(rows, shapely.to_wkt(geoms, rounding_precision=7), strict=True):
                w.writerow([*map(cell_text, r[:-1]), g])
    return count
