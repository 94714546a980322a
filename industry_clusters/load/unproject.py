"""Layers in a projected CRS: which ones are, how messages name their CRS, and the
unprojection of a point layer's points to longitude/latitude.

A layer may come in metres: CGCS2000 / 3-degree Gauss-Kruger (EPSG:4547 at Foshan) from
a surveying or natural resources office, Web Mercator (EPSG:3857) from a web map, a
city's own grid given only as WKT. Its coordinates are unprojected to longitude/latitude
(EPSG:4326, "ballpark" from the CRS's datum: CGCS2000 and WGS-84 differ by centimetres),
and --crs then reads those degrees as it reads a layer in degrees: cgcs2000 under
Gauss-Kruger, gcj02 for an Amap layer saved in Web Mercator.

Points are unprojected here by PROJ through pyproj, a batch at a time, not by PostGIS:
PostGIS 3.3's ST_Transform(geom, text, srid) builds its PROJ transformation again for
every row (7 ms from a proj string, 130 ms from EPSG:4547 or a WKT, measured), and the
cached path takes an SRID of spatial_ref_sys, which a city's grid given as WKT has not.
District boundaries, a few features with curves PostGIS cuts into segments first, are
unprojected by PostGIS, a part of the layer at a time (registry.replace_districts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from industry_clusters.errors import UserError

# how to have a layer in longitude/latitude, where it cannot be unprojected
REPROJECT = ("reproject it to longitude/latitude first (QGIS: Export > Save Features As, CRS "
             "EPSG:4490 or EPSG:4326; or ogr2ogr -t_srs EPSG:4490)")


def _crs(declared: str | None):
    """PROJ's reading of a layer's CRS as GDAL gives it ('AUTH:CODE' or WKT); None where
    there is none, or PROJ cannot read it."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    if not declared:
        return None
    try:
        return CRS.from_user_input(declared)
    except CRSError:
        return None


def is_projected(declared: str | None) -> bool:
    """Whether a layer's CRS is projected (metres). A CRS PROJ cannot read counts as not
    projected: its coordinates are then checked as degrees."""
    crs = _crs(declared)
    return crs is not None and crs.is_projected


def crs_name(declared: str) -> str:
    """A projected CRS as a message names it: by its code (EPSG:4547, a projected CRS),
    else by the name in its WKT (PROJCS["name", ...]; PROJ names one from a proj string
    "unknown"), never by the WKT itself."""
    if declared.partition(":")[2].isdigit():
        return f"{declared}, a projected CRS"
    m = re.match(r'\s*PROJ(?:CS|CRS)\[\s*"([^"]*)"', declared)
    named = m and m.group(1).strip() not in ("", "unknown")
    return f'the projected CRS "{m.group(1)}"' if named else "a projected CRS"


@dataclass(frozen=True)
class Unprojector:
    """The unprojection of a layer's points from its projected CRS (``declared``, as
    GDAL gives it) to longitude/latitude."""

    declared: str
    transformer: object  # pyproj.Transformer

    def points(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Longitudes and latitudes of the points (x, y); not finite where PROJ cannot
        unproject a point (outside the projection's domain, not finite itself)."""
        lon, lat = self.transformer.transform(x, y, errcheck=False)
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)

    def cannot(self, x: float, y: float) -> str:
        """Why a point has no longitude/latitude, for its reject."""
        return (f"PROJ cannot unproject the feature's point ({x!r}, {y!r}) to "
                f"longitude/latitude: it lies outside the domain of {crs_name(self.declared)}")


def unprojector(declared: str | None, name: str) -> Unprojector | None:
    """The unprojection of a layer in a projected CRS; None for a layer in
    longitude/latitude (or without a CRS). A UserError where PROJ cannot unproject from
    the CRS at all (a CRS of another planet, say)."""
    from pyproj import Transformer
    from pyproj.exceptions import ProjError

    crs = _crs(declared)
    if crs is None or not crs.is_projected:
        return None
    try:
        transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    except ProjError as exc:
        # "... proj_create_operations: Source and target ellipsoid do not belong to the
        # same celestial body (Mars vs Earth). You may override ..."
        reason = str(exc).rpartition("operations: ")[2].split(". ")[0].strip(" .)")
        raise UserError(f"{name} is in {crs_name(declared)}, which PROJ cannot unproject "
                        f"({reason}); {REPROJECT}") from None
    return Unprojector(declared, transformer)
