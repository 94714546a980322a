"""The study region (registry.settings): its name and WGS-84 extent, outside which a
load rejects locations and load-districts rejects boundaries. The rules are in
sql/load/070_region.sql (the view registry.region, registry.set_region); this reads and
sets it."""

from __future__ import annotations

from dataclasses import dataclass

from industry_clusters.db import connect, migrate, user_parameters


@dataclass(frozen=True)
class Region:
    name: str
    west: float
    south: float
    east: float
    north: float
    srid: int
    scale_error: float  # of the projected SRID's distances at the centre (0.0026: 0.26%)
    local_srid: int  # a projected CRS centred near it
    text: str  # what every message and load run names it by: Foshan (longitude ... to ...)

    def describe(self) -> str:
        """One line: the region, its extent and how true the SRID's metres are there."""
        line = (f"{self.text}; SRID {self.srid} measures distances "
                f"{self.scale_error:.2%} off at its centre")
        if self.scale_error > 0.001 and self.local_srid != self.srid:
            line += (f" (SRID {self.local_srid} would be truer there, in a database "
                     f"initialised with it: db init --srid {self.local_srid})")
        return line


_READ = ("SELECT name, west, south, east, north, srid, scale_error, local_srid, description "
         "FROM registry.region")


def read_region(conn) -> Region:
    return Region(*conn.execute(_READ).fetchone())


def outside_region(conn, counts: dict, reason: str, what: str) -> str | None:
    """For a load that accepted nothing and rejected most of its rows as ``reason``
    (outside the region): a registry or boundaries of another city, most likely. What to
    tell the user, else None. ``counts``: registry.outcome_counts."""
    outside = counts.get("by_reason", {}).get(reason, 0)
    if counts["accepted"] or not outside or outside * 2 < counts["rejected"]:
        return None
    verb = "lies" if outside == 1 else "lie"
    return (f"{outside} {verb} outside the region {read_region(conn).text}; for {what} "
            "of another city set its region first (industry-clusters db region --name NAME "
            "--extent W,S,E,N)")


def region(target) -> Region:
    with connect(target) as conn:
        migrate.require_schema(conn)
        return read_region(conn)


def set_region(target, name: str | None,
               extent: tuple[float, float, float, float] | None) -> Region:
    """Set the region's name or extent (west, south, east, north), or both (None keeps
    it), or a UserError in one line (registry.set_region's refusals)."""
    with connect(target) as conn:
        migrate.require_schema(conn)
        now = read_region(conn)
        name = now.name if name is None else name
        extent = extent or (now.west, now.south, now.east, now.north)
        with user_parameters():
            conn.execute("SELECT registry.set_region(%s, %s, %s, %s, %s)", (name, *extent))
        conn.commit()
        return read_region(conn)
