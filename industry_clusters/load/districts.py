"""District boundaries: any polygon layer GDAL reads -> registry.districts."""

from __future__ import annotations

import json
import math
import shlex
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from industry_clusters.db import connect, hold_registry, job_session, run_transaction
from industry_clusters.db.region import outside_region
from industry_clusters.errors import UserError, first_line
from industry_clusters.load import (
    FAIL_LOAD,
    LoadResult,
    _check_crs,
    _check_file,
    columns,
    file_digest,
    start_run,
)
from industry_clusters.load.readers import layer_encoding, layer_info, ogr_batches, pick_layer
from industry_clusters.load.unproject import REPROJECT, crs_name, is_projected

NAME_FIELDS = ("name", "名称", "district", "区县", "NAME", "Name")
CODE_FIELDS = ("adcode", "code", "区划代码", "ADCODE", "Code", "district_code")


def _pick(fields: list[str], asked: str | None, candidates: tuple[str, ...], what: str,
          path: Path) -> int:
    if asked:
        if asked not in fields:
            raise UserError(f"--{what}-field {asked}: no such attribute in {path.name}; "
                            f"attributes: {columns.listed(fields)}")
        return fields.index(asked)
    for c in candidates:
        if c in fields:
            return fields.index(c)
    hint = (" (a layer without codes: give its name attribute, the name then serves as the "
            "code)" if what == "code" else "")
    raise UserError(f"cannot tell which attribute of {path.name} holds the district {what}; "
                    f"attributes: {columns.listed(fields)}; pass --{what}-field{hint}")


def _layer_crs(conn: psycopg.Connection, declared: str | None, path: Path) -> str | None:
    """The projected CRS a layer of boundaries is in, which PostGIS unprojects them from
    (registry.replace_districts); None for a layer in longitude/latitude. A UserError
    where PostGIS cannot unproject from it (a CRS of another planet, say)."""
    if not is_projected(declared):
        return None
    try:  # PROJ builds the transformation even for an empty geometry
        conn.execute("SELECT ST_Transform('POINT EMPTY'::geometry, %s, 4326)", (declared,))
    except psycopg.Error as exc:
        raise UserError(f"{path.name} is in {crs_name(declared)}, which PostGIS cannot "
                        f"unproject ({first_line(exc)}); {REPROJECT}") from None
    return declared


def load_districts(target, path, *, crs: str | None, name_field: str | None = None,
                   code_field: str | None = None, layer: str | None = None,
                   encoding: str = "auto",
                   notify: Callable[[str], None] | None = None) -> LoadResult:
    path = _check_file(path)
    crs = _check_crs(crs)
    t0 = time.monotonic()
    layer = pick_layer(path, layer, "Polygon", "district boundaries")
    text = layer_encoding(path, layer, encoding)
    # counted even where GDAL would skip it (a few polygons): ogr_batches checks it
    info = layer_info(path, layer, text, "a polygon layer GDAL can read",
                      force_feature_count=True)
    fields = [str(f) for f in info["fields"]]
    if not info["features"]:
        raise UserError(f"{path.name} has no features: expected district polygons; the "
                        "previous boundaries are kept")
    ni = _pick(fields, name_field, NAME_FIELDS, "name", path)
    ci = _pick(fields, code_field, CODE_FIELDS, "code", path)
    digest, size = file_digest(path)

    with job_session(target, "load") as conn:
        layer_crs = _layer_crs(conn, info["crs"], path)
        run_id = start_run(conn, "districts", path, digest, size, path.suffix.lstrip("."),
                           crs, text, {"name": fields[ni], "code": fields[ci]}, True,
                           layers=[layer], layer_crs=layer_crs)
        with run_transaction(conn, FAIL_LOAD, run_id):
            conn.execute("SELECT registry.begin_district_load()")
            with conn.cursor().copy("COPY district_staging (line_no, name, code, wkb, raw)"
                                    " FROM STDIN") as cp:
                line = 0
                for rows, wkbs in ogr_batches(path, layer, info, text):
                    for values, wkb in zip(rows, wkbs, strict=True):
                        line += 1
                        raw = dict(zip(fields, values, strict=True))
                        cp.write_row((line, values[ni], values[ci], wkb,
                                      json.dumps(raw, ensure_ascii=False)))
            hold_registry(conn, "load", notify)  # it re-assigns every enterprise
            counts = conn.execute("SELECT registry.replace_districts(%s, %s)",
                                  (run_id, crs)).fetchone()[0]
            if counts["accepted"] == 0:
                why = ", ".join(f"{k} {v}" for k, v in counts["by_reason"].items())
                hint = outside_region(conn, counts, "boundary_outside_region", "boundaries",
                                      f"--extent-of {shlex.quote(str(path))} --crs {crs}")
                raise UserError(f"{path.name} has no usable district polygon "
                                f"({why or 'no feature'}){f': {hint}' if hint else ''}; the "
                                "previous boundaries are kept")
            conn.execute("SELECT registry.finish_load(%s, 'succeeded', %s)",
                         (run_id, json.dumps(counts)))
            # the boundaries and the enterprises' districts show at once (clusters keep
            # their majority district until the next clustering run)
            conn.execute("SELECT clustering.refresh_published()")
    return _DistrictResult(run_id, "succeeded", path.name, counts, time.monotonic() - t0,
                           unprojected=[(None, layer_crs)] if layer_crs else [])


class _DistrictResult(LoadResult):
    def summary(self) -> str:
        c = self.counts
        return (f"load run {self.load_run_id}: {c['accepted']} district boundaries loaded from "
                f"{self.file}" + "".join(f" (unprojected from {crs_name(crs)})"
                                         for _, crs in self.unprojected)
                + (f", {c['rejected']} rejected ({c['by_reason']})" if c["rejected"] else ""))


# The margin of a region taken from boundaries (db region --extent-of): a geocode a
# street or two outside the city's edge, or off by GCJ-02's few hundred metres, still
# falls inside. The default Foshan region has about this margin.
REGION_MARGIN_M = 5000

# The WGS-84 extent of the corners of a layer's extent in a --crs (GCJ-02 and BD-09 are
# shifted by a few hundred metres, nearly the same across a city).
_CORNERS = """
SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
  FROM (SELECT ST_Extent(publish.to_wgs84(c.x, c.y, %(crs)s)) AS e
          FROM (VALUES (%(w)s::float8, %(s)s::float8), (%(e)s, %(s)s), (%(w)s, %(n)s),
                       (%(e)s, %(n)s)) AS c(x, y)) x
"""


# A projected extent's outline, its edges cut into 64 pieces, unprojected: its
# longitude/latitude extent (an edge straight in metres is curved in degrees).
_UNPROJECTED = """
SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x)
  FROM (SELECT ST_Transform(ST_Segmentize(ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s),
                                          greatest(%(e)s - %(w)s, %(n)s - %(s)s) / 64),
                            %(crs)s, 4326)::box2d AS x) t
"""


def _unprojected_extent(conn: psycopg.Connection, layer_crs: str, path: Path, w: float,
                        s: float, e: float, n: float) -> tuple[float, float, float, float]:
    try:
        return conn.execute(_UNPROJECTED, {"crs": layer_crs, "w": w, "s": s, "e": e,
                                           "n": n}).fetchone()
    except psycopg.Error as exc:
        raise UserError(f"{path.name} spans x {w:g} to {e:g}, y {s:g} to {n:g} in "
                        f"{crs_name(layer_crs)}, which PostGIS cannot unproject "
                        f"({first_line(exc)}); check the layer's CRS") from None


def boundaries_extent(target, path, *, crs: str | None, layer: str | None = None,
                      encoding: str = "auto") -> tuple[float, float, float, float]:
    """The region a layer of boundaries covers, as db region --extent-of takes it: the
    layer's WGS-84 extent, REGION_MARGIN_M wider each way, rounded outward to 0.01
    degree (west, south, east, north); a layer in a projected CRS unprojected first, as
    load-districts does. A UserError for what load-districts refuses too (no such file
    or layer, no --crs, a CRS PostGIS cannot unproject) and for a layer without extent."""
    path = _check_file(path)
    crs = _check_crs(crs)
    layer = pick_layer(path, layer, "Polygon", "district boundaries")
    text = layer_encoding(path, layer, encoding)
    info = layer_info(path, layer, text, "a polygon layer GDAL can read",
                      force_total_bounds=True)
    bounds = info.get("total_bounds")
    if bounds is None or not all(math.isfinite(b) for b in bounds):
        raise UserError(f"{path.name} has no geometry to take an extent from")
    w, s, e, n = (float(b) for b in bounds)
    with connect(target) as conn:
        layer_crs = _layer_crs(conn, info["crs"], path)
        if layer_crs:
            w, s, e, n = _unprojected_extent(conn, layer_crs, path, w, s, e, n)
        if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):  # metres, unlabelled
            raise UserError(f"{path.name} spans x {w:g} to {e:g}, y {s:g} to {n:g}: not "
                            f"longitude/latitude; {REPROJECT}")
        w, s, e, n = conn.execute(_CORNERS, {"crs": crs, "w": w, "s": s, "e": e,
                                             "n": n}).fetchone()
    dlat = REGION_MARGIN_M / 111_320
    dlon = dlat / math.cos(math.radians(min(max(abs(s), abs(n)) + dlat, 89)))
    return (max(math.floor((w - dlon) * 100) / 100, -180.0),
            max(math.floor((s - dlat) * 100) / 100, -90.0),
            min(math.ceil((e + dlon) * 100) / 100, 180.0),
            min(math.ceil((n + dlat) * 100) / 100, 90.0))
