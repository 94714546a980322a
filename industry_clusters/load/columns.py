"""Column presets: which input column holds which field.

Headers are matched after normalisation (case, spaces, underscores and any
parenthesised unit such as ``注册资本(万元)`` are ignored). ``--map FIELD=COLUMN``
overrides a preset. The result is a field -> 0-based column index mapping that the
screening SQL reads (``registry.screen_load``).
"""

from __future__ import annotations

import re

from industry_clusters.errors import UserError

# field -> accepted headers (Chinese registry exports first, then English).
PRESETS: dict[str, tuple[str, ...]] = {
    "credit_code": ("统一社会信用代码", "社会信用代码", "信用代码", "credit_code",
                    "unified_social_credit_code", "uscc", "creditcode"),
    "name": ("企业名称", "公司名称", "名称", "name", "company_name", "enterprise_name"),
    "status": ("登记状态", "经营状态", "企业状态", "status", "operating_status",
               "registration_status"),
    # codes or division names (registry.gbt4754_division reads both); of an export that
    # splits the industry into 门类/大类/中类/小类 columns, the division's (大类)
    "industry_code": ("国标行业", "所属行业", "行业代码", "国民经济行业", "国标行业大类",
                      "行业大类", "行业", "industry_code", "industry", "gbt4754"),
    "business_scope": ("经营范围", "business_scope", "scope"),
    "tags": ("企业标签", "标签", "tags", "labels", "label"),
    "capital": ("注册资本", "registered_capital", "capital"),
    "established": ("成立日期", "establishment_date", "established", "founded"),
    "district": ("所属区县", "区县", "所属地区", "district", "county"),
    "address": ("注册地址", "企业地址", "地址", "address", "registered_address"),
    # geometry_lon/lat: a layer's point as the rejects of a layer load write it out, so
    # that the corrected CSV loads again (readers.GEOMETRY_COLUMNS)
    "lon": ("经度", "longitude", "lon", "lng", "geometry_lon"),
    "lat": ("纬度", "latitude", "lat", "geometry_lat"),
    # both in one column, "113.123456,23.045678": how Amap's geocoder returns a location
    "lonlat": ("经纬度", "坐标", "经纬度坐标", "location", "lnglat", "lonlat", "lng_lat",
               "lon_lat", "coordinates"),
    "size_class": ("企业规模", "规模", "size_class", "enterprise_size", "size"),
    # insured employees, as the exports of Qichacha and Tianyancha carry them: the size
    # class follows them where the file gives none (registry.size_employee_thresholds).
    # A count first; Tianyancha's 人员规模 is a band (50-99人), taken only without one.
    "employees": ("参保人数", "社保人数", "从业人数", "从业人员数", "员工人数", "职工人数",
                  "employees", "employee_count", "insured_employees", "staff",
                  "人员规模", "员工规模", "staff_size"),
    "digital_transformation": ("数字化转型", "是否数字化转型", "digital_transformation"),
    "deregistered": ("注销日期", "吊销日期", "注销时间", "吊销时间", "deregistered",
                     "deregistration_date", "closed"),
}
REQUIRED = ("credit_code", "name", "status", "capital", "lon", "lat")
# At least one of these must be present to decide the sector.
SECTOR_SOURCES = ("industry_code", "business_scope", "tags")
FIELDS = tuple(PRESETS)

_PAREN = re.compile(r"[(（][^)）]*[)）]")
_SPACE = re.compile(r"[\s_\-]+")


def normalise(header: str) -> str:
    return _SPACE.sub("", _PAREN.sub("", header.replace("\ufeff", ""))).lower()


def listed(names: list[str], most: int = 30, longest: int = 40) -> str:
    """Column names for a one-line message: the first ``most``, each cut to ``longest``
    characters (a file with thousands of columns, or a data line taken for a header,
    would fill the terminal)."""
    shown = [n if len(n) <= longest else n[:longest - 1] + "…" for n in names[:most]]
    more = f", ... ({len(names)} in all)" if len(names) > most else ""
    return ", ".join(shown) + more


def unique_headers(headers: list[str]) -> list[str]:
    """Header names made unique for the raw record (``名称``, ``名称#2``), blanks named."""
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(headers, 1):
        h = h.strip() or f"column_{i}"
        seen[h] = seen.get(h, 0) + 1
        out.append(h if seen[h] == 1 else f"{h}#{seen[h]}")
    return out


def header_matcher(overrides: dict[str, str] | None = None):
    """Whether a row is the header: it names at least two known fields (the presets'
    headers, or the columns ``--map`` names). A title or note line above the header names
    none, and neither does a data row."""
    names = {normalise(a) for aliases in PRESETS.values() for a in aliases}
    names |= {normalise(c) for c in (overrides or {}).values()}
    return lambda cells: len({normalise(c) for c in cells} & names) >= 2


def parse_map_options(items: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``("name=公司", ...)`` -> {"name": "公司"}, refusing unknown fields."""
    out = {}
    for item in items:
        field, sep, column = item.partition("=")
        field = field.strip()
        if not sep or not field or not column.strip():
            raise UserError(f"--map {item!r}: write FIELD=COLUMN, e.g. --map name=公司名称")
        if field not in PRESETS:
            raise UserError(f"--map {item!r}: unknown field {field!r}; fields are "
                            + ", ".join(FIELDS))
        out[field] = column.strip()
    return out


def resolve(headers: list[str], overrides: dict[str, str] | None = None,
            implicit: dict[str, int] | None = None, source: str = "the file") -> dict[str, int]:
    """Map fields to column indices; one-line errors for missing or ambiguous columns.

    ``implicit`` supplies fields the reader provides itself: the point geometry of a
    GeoJSON/GeoPackage layer gives lon/lat. It is the location QGIS shows and GIS staff
    edit, so it takes precedence over columns found by their usual names (经度/纬度 kept
    from the CSV the layer was made of), not over --map.
    """
    overrides = overrides or {}
    norm = [normalise(h) for h in headers]
    mapping: dict[str, int] = {}
    for field, column in overrides.items():
        hits = [i for i, h in enumerate(headers) if h.strip() == column]
        if not hits:
            hits = [i for i, h in enumerate(norm) if h == normalise(column)]
        if not hits:
            raise UserError(f"--map {field}={column}: no column {column!r} in {source}; "
                            f"headers found: {listed(headers)}")
        if len(hits) > 1:
            raise UserError(f"--map {field}={column}: column {column!r} appears {len(hits)} "
                            f"times in the header of {source}; rename one")
        mapping[field] = hits[0]
    for field, index in (implicit or {}).items():
        mapping.setdefault(field, index)
    for field, aliases in PRESETS.items():
        if field in mapping:
            continue
        for alias in aliases:
            hits = [i for i, h in enumerate(norm) if h == normalise(alias)]
            if len(hits) > 1:
                raise UserError(f"column {headers[hits[0]]!r} appears {len(hits)} times in the "
                                f"header of {source}; rename one or choose with --map "
                                f"{field}=COLUMN")
            if hits:
                mapping[field] = hits[0]
                break
    # one column of both, used when the file lacks a longitude or latitude column of
    # its own (registry.screen_load splits it)
    if "lonlat" in mapping:
        if "lon" in mapping and "lat" in mapping:
            del mapping["lonlat"]
        else:
            mapping.pop("lon", None)
            mapping.pop("lat", None)
    # a required field's column is its own: --map lat=经度 beside lon, or credit_code=
    # 注册地址 (the address's column), read every row wrong (all of them rejected, or
    # loaded with a wrong field). Optional fields may share one (district from the
    # address column).
    read_as: dict[int, str] = {}
    for field, index in mapping.items():
        other = read_as.setdefault(index, field)
        if other != field and {other, field} & {*REQUIRED, "lonlat"}:
            mapped = " and ".join(f"{f} (--map)" if f in overrides else f
                                  for f in (other, field))
            raise UserError(f"column {headers[index]!r} of {source} would be read as both "
                            f"{mapped}; give each its own column with --map FIELD=COLUMN")
    missing = [f for f in REQUIRED
               if f not in mapping and not (f in ("lon", "lat") and "lonlat" in mapping)]
    if missing:
        f = missing[0]
        both = (f" or one column of both, {' / '.join(PRESETS['lonlat'][:4])}"
                if f in ("lon", "lat") else "")
        raise UserError(f"required column {f!r} not found in {source} (looked for "
                        f"{' / '.join(PRESETS[f][:4])}{both}); headers found: "
                        f"{listed(headers)}; map it with --map {f}=COLUMN")
    if not any(f in mapping for f in SECTOR_SOURCES):
        raise UserError(f"{source} has no industry code, label or business scope column to "
                        f"decide the sector; headers found: {listed(headers)}; map one with "
                        "--map industry_code=COLUMN")
    return mapping
