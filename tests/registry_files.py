"""Small registry exports for tests, built row by row."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from industry_clusters.demo.synth import HEADERS, check_digit

_serial = iter(range(1, 10**7))


def credit_code(valid: bool = True) -> str:
    body = f"91440604MA{next(_serial):07d}"
    digit = check_digit(body)
    if not valid:
        digit = "0" if digit != "0" else "1"
    return body + digit


def row(**over) -> dict:
    """A row that passes every screening rule, with fields overridden by keyword."""
    base = {
        "企业名称": "佛山市测试科技有限公司", "统一社会信用代码": credit_code(), "登记状态": "存续",
        "成立日期": "2015-03-12", "注册资本": "100万人民币", "国标行业": "I6510", "企业标签": "",
        "经营范围": "软件开发", "所属区县": "禅城区", "注册地址": "广东省佛山市禅城区祖庙路1号",
        "企业规模": "小型", "数字化转型": "否", "经度": "113.114000", "纬度": "23.030000",
    }
    base.update(over)
    return base


def write_geojson(path: Path, rows: list[dict], geoms: list[dict | None]) -> Path:
    """A GeoJSON layer of the rows as properties, each with its geometry (a GeoJSON
    geometry object, or None)."""
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": r, "geometry": g}
        for r, g in zip(rows, geoms, strict=True)]}, ensure_ascii=False), encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[dict], headers: list[str] = HEADERS,
              encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(headers)
        for r in rows:
            w.writerow([r.get(h, "") for h in headers])
    return path
