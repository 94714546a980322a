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


def _lie(n: int) -> str:
    return "lies" if n == 1 else "lie"


def outside_region(conn, counts: dict, reason: str, what: str,
                   extent: str = "--extent W,S,E,N") -> str | None:
    """For a load that accepted nothing and rejected most of its rows as ``reason``
    (outside the region): a registry or boundaries of another city, most likely. What to
    tell the user, else None. ``counts``: registry.outcome_counts; ``extent``: the
    options of db region that give the extent."""
    outside = counts.get("by_reason", {}).get(reason, 0)
    if counts["accepted"] or not outside or outside * 2 < counts["rejected"]:
        return None
    return (f"{outside} {_lie(outside)} outside the region {read_region(conn).text}; for {what} "
            f"of another city set its region first (industry-clusters db region --name NAME "
            f"{extent})")


# Active enterprises whose stored location lies outside the region: loaded before it
# changed (a load screens with the region of its day). They are clustered until a full
# load leaves them out.
_OUTSIDE = ("SELECT count(*) FROM registry.enterprises e, registry.region r WHERE e.active "
            "AND NOT registry.in_region(ST_X(e.geom), ST_Y(e.geom), r.west, r.south, "
            "r.east, r.north)")


def outside_note(conn) -> str | None:
    """What to tell the user when active enterprises lie outside the region, else None."""
    n = conn.execute(_OUTSIDE).fetchone()[0]
    if not n:
        return None
    return (f"note: {n:,} active enterprise{'s' if n != 1 else ''} {_lie(n)} outside it, loaded "
            "before the region changed; they are clustered until a full load (not "
            "--incremental) marks them inactive (with --force when they are more than half "
            "the active enterprises)")


def region(target) -> tuple[Region, str | None]:
    """The region, and a note when active enterprises lie outside it."""
    with connect(target) as conn:
        migrate.require_schema(conn)
        return read_region(conn), outside_note(conn)


def set_region(target, name: str | None,
               extent: tuple[float, float, float, float] | None
               ) -> tuple[Region, str | None]:
    """Set the region's name or extent (west, south, east, north), or both (None keeps
    it), or a UserError in one line (registry.set_region's refusals). Returns it as
    region() does."""
    with connect(target) as conn:
        migrate.require_schema(conn)
        now = read_region(conn)
        name = now.name if name is None else name
        extent = extent or (now.west, now.south, now.east, now.north)
        with user_parameters():
            conn.execute("SELECT registry.set_region(%s, %s, %s, %s, %s)", (name, *extent))
        conn.commit()
        return read_region(conn), outside_note(conn)
