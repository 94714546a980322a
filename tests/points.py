"""Put enterprises straight into registry.enterprises at projected coordinates (tests)."""

from __future__ import annotations

import itertools

_ids = itertools.count(1)
X0, Y0 = 410000.0, 2545000.0  # EPSG:4547 metres, central Foshan


def insert_points(conn, xy, *, sector: str = "software", district: str | None = "禅城区",
                  established: str | None = "2015-01-01", size_class: str = "small",
                  active: bool = True) -> list[int]:
    """Insert enterprises at (x, y) offsets in metres from (X0, Y0); return their ids."""
    ids = []
    with conn.cursor() as cur:
        for x, y in xy:
            cur.execute(
                "INSERT INTO registry.enterprises (credit_code, name, status, active, inactive_reason,"
                " sector_id,"
                " source_crs, source_x, source_y, geom, district_name, registered_district,"
                " established, size_class, first_load_run_id, last_load_run_id)"
                " SELECT %(code)s, 'firm', '存续', %(active)s,"
                " CASE WHEN NOT %(active)s THEN 'missing' END, sector_id, 'wgs84', 0, 0,"
                " ST_Transform(ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4547), 4326),"
                " %(district)s, %(district)s, %(est)s, %(size)s, 0, 0"
                " FROM registry.sectors WHERE code = %(sector)s RETURNING enterprise_id",
                {"code": f"T{next(_ids):017d}", "active": active, "x": X0 + x, "y": Y0 + y,
                 "district": district, "est": established, "size": size_class,
                 "sector": sector})
            ids.append(cur.fetchone()[0])
    conn.commit()
    return ids


def blob(rng, n: int, cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    """n points uniformly in a disc of radius r around (cx, cy)."""
    import math

    out = []
    for _ in range(n):
        rr, t = r * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        out.append((cx + rr * math.cos(t), cy + rr * math.sin(t)))
    return out
