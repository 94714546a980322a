"""A synthetic registry export shaped like Tianyancha/Qichacha data for Foshan.

The real registry is proprietary, so the demo plants clusters calibrated to the
study's Table 1 (counts, largest and mean sizes per district and sector) around
approximate town centres, scatters background firms, and adds ~8,000 rows the
screening must exclude. Coordinates are written in GCJ-02, as Amap geocoding
returns them, so the loader's conversion is exercised.

Planted clusters are tight discs (every member within eps of every other); background
firms of the same sector are kept more than eps away from them, so the planted
membership is exactly what DBSCAN(eps=500 m, min points=30) should find. The ground
truth (planted cluster of each credit code) is written beside the registry file.

Deterministic: the same seed and scale give byte-identical files.
"""

from __future__ import annotations

import csv
import io
import math
import random
import tempfile
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from industry_clusters.demo.study import DISTRICTS, POOL, TABLE1
from industry_clusters.paths import writable_dir

HEADERS = ["企业名称", "统一社会信用代码", "登记状态", "成立日期", "注册资本", "国标行业",
           "企业标签", "经营范围", "所属区县", "注册地址", "企业规模", "数字化转型", "经度", "纬度"]

# Approximate town/subdistrict centres (WGS-84), public geographic facts.
TOWNS = {
    "440604": [("祖庙街道", 113.114, 23.030), ("石湾镇街道", 113.095, 23.005),
               ("张槎街道", 113.075, 23.045), ("南庄镇", 113.010, 23.015),
               ("南庄东", 113.040, 23.000)],
    "440605": [("桂城街道", 113.150, 23.030), ("大沥镇", 113.110, 23.100),
               ("狮山镇", 113.000, 23.130), ("里水镇", 113.150, 23.200),
               ("西樵镇", 112.950, 22.930), ("九江镇", 112.990, 22.840),
               ("丹灶镇", 112.920, 23.040), ("罗村街道", 113.050, 23.080)],
    "440606": [("大良街道", 113.250, 22.840), ("容桂街道", 113.280, 22.780),
               ("伦教街道", 113.210, 22.840), ("北滘镇", 113.200, 22.920),
               ("陈村镇", 113.240, 22.960), ("乐从镇", 113.090, 22.960),
               ("龙江镇", 113.080, 22.880), ("勒流街道", 113.150, 22.850)],
    "440607": [("西南街道", 112.880, 23.170), ("云东海街道", 112.850, 23.200),
               ("白坭镇", 112.930, 23.250), ("乐平镇", 112.980, 23.300),
               ("芦苞镇", 112.900, 23.340)],
    "440608": [("荷城街道", 112.890, 22.900), ("杨和镇", 112.790, 22.930),
               ("明城镇", 112.760, 22.980)],
}
# Where each district's planted clusters are packed around: an interior point of the
# district (approximate, WGS-84), away from its borders.
PACK_CENTRE = {"440604": (113.075, 23.020), "440605": (113.000, 23.135),
               "440606": (113.175, 22.860), "440607": (112.900, 23.250),
               "440608": (112.850, 22.900)}
# Share of excluded non-digital firms by district.
DISTRICT_WEIGHT = {"440604": 0.22, "440605": 0.36, "440606": 0.27, "440607": 0.08,
                   "440608": 0.07}

ORIGIN = (113.0, 23.0)
M_PER_DEG_X = 111320.0 * math.cos(math.radians(23.0))
M_PER_DEG_Y = 110574.0
EPS = 500.0
MIN_CLUSTER = 35

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

CODES_39 = ["C3911", "C3912", "C3913", "C3921", "C3922", "C3931", "C3932", "C3940", "C3951",
            "C3961", "C3971", "C3972", "C3981", "C3982", "C3990"]
CODES_SOFT = ["I6311", "I6312", "I6319", "I6321", "I6410", "I6421", "I6422", "I6429", "I6431",
              "I6434", "I6440", "I6450", "I6490", "I6511", "I6513", "I6519", "I6520", "I6531",
              "I6540", "I6550", "I6560", "I6571", "I6579", "I6591", "I6599"]
CODES_OTHER = ["F5179", "F5191", "L7212", "M7520", "C3489", "C3853", "M7320", "F5261"]
CODES_NONDIGITAL = ["C3311", "C3331", "F5123", "G5411", "H6210", "E4710", "C1810", "K7010"]
SCOPE_39 = ["通信设备制造", "电子元件制造", "计算机整机制造", "电子产品制造", "集成电路制造",
            "智能终端设备制造", "光电子器件制造"]
SCOPE_SOFT = ["软件开发", "信息技术咨询服务", "信息系统集成服务", "互联网信息服务",
              "数据处理和存储支持服务", "云计算装备技术服务", "人工智能应用软件开发"]
SCOPE_DIGITAL = ["数字内容制作服务", "数字文化创意软件开发", "数字技术服务", "工业互联网数据服务"]
SCOPE_OTHER = ["五金产品批发", "金属制品销售", "餐饮服务", "普通货物仓储服务", "服装制造",
               "建筑材料销售", "日用百货销售"]
WORDS = list("华创远恒信达科迅捷智联鼎盛佳源宏图博通瑞丰泰和星辰云海天启鹏程明德安康立新")
SUFFIX = {"comms": ["电子科技", "通信技术", "智能设备", "电子"],
          "digital": ["数字科技", "数据服务", "数字技术"],
          "software": ["软件", "信息技术", "网络科技", "数据科技", "云计算"],
          "other": ["五金", "贸易", "实业", "餐饮管理", "物流"]}
SIZE_P = {"micro": 0.38, "small": 0.22, "medium": 0.25, "large": 0.15}
SIZES, SIZE_W = list(SIZE_P), list(SIZE_P.values())
CAPITAL_MEAN_WAN = {"micro": 100, "small": 500, "medium": 1500, "large": 5000}
DT_RATE = {"micro": 0.12, "small": 0.12, "medium": 0.35, "large": 0.60}
SIZE_ZH = {"micro": "微型", "small": "小型", "medium": "中型", "large": "大型"}
EXCLUDED = {"status": 2600, "non_digital": 2400, "capital": 1300, "coord_missing": 350,
            "coord_swapped": 200, "coord_outside": 150, "credit_invalid": 400, "duplicate": 600}


def registry_name(seed: int, scale: float) -> str:
    """File name of the registry generated with (seed, scale)."""
    return f"foshan_registry_s{seed}_x{scale:g}.csv"


def check_digit(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The published GCJ-02 forward formula, vectorised: simulates Amap geocoding."""
    x, y = lon - 105.0, lat - 35.0
    d = 20 * np.sin(6 * x * np.pi) + 20 * np.sin(2 * x * np.pi)
    dlat = (d + 20 * np.sin(y * np.pi) + 40 * np.sin(y * np.pi / 3) + 160 * np.sin(y * np.pi / 12)
            + 320 * np.sin(y * np.pi / 30)) * 2 / 3
    dlat += -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlon = (d + 20 * np.sin(x * np.pi) + 40 * np.sin(x * np.pi / 3) + 150 * np.sin(x * np.pi / 12)
            + 300 * np.sin(x * np.pi / 30)) * 2 / 3
    dlon += 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    a, ee = 6378245.0, 0.00669342162296594323
    rad = lat / 180 * np.pi
    magic = 1 - ee * np.sin(rad) ** 2
    sm = np.sqrt(magic)
    dlat = dlat * 180 / ((a * (1 - ee)) / (magic * sm) * np.pi)
    dlon = dlon * 180 / (a / sm * np.cos(rad) * np.pi)
    return lon + dlon, lat + dlat


def _to_m(lon, lat):
    return (np.asarray(lon) - ORIGIN[0]) * M_PER_DEG_X, (np.asarray(lat) - ORIGIN[1]) * M_PER_DEG_Y


def _to_deg(x, y):
    return ORIGIN[0] + np.asarray(x) / M_PER_DEG_X, ORIGIN[1] + np.asarray(y) / M_PER_DEG_Y


def cluster_sizes(rng: np.random.Generator, k: int, largest: int, mean: float) -> list[int]:
    """k sizes with the given maximum and (to rounding) mean, all >= MIN_CLUSTER."""
    if k == 1:
        return [largest]
    rest = round(k * mean) - largest
    # A scaled-down table may ask for the impossible: keep the rest attainable.
    rest = min(max(rest, (k - 1) * MIN_CLUSTER), (k - 1) * (largest - 1))
    raw = rng.lognormal(0, 0.55, k - 1)
    sizes = np.clip(np.round(raw / raw.sum() * rest), MIN_CLUSTER, largest - 1).astype(int)
    i = 0
    while sizes.sum() != rest:  # settle rounding and clipping on the adjustable sizes
        step = 1 if sizes.sum() < rest else -1
        j = i % (k - 1)
        if MIN_CLUSTER <= sizes[j] + step <= largest - 1:
            sizes[j] += step
        i += 1
    return [largest, *sorted(sizes.tolist(), reverse=True)]


@dataclass
class Planted:
    key: str
    sector: str
    district: str
    town: str
    x: float
    y: float
    size: int

    @property
    def radius(self) -> float:
        # Every member within 2r <= 374 m of every other (< eps): all are core points.
        return 40.0 + 6.0 * math.sqrt(self.size)


def plant_clusters(rng: np.random.Generator, scale: float) -> list[Planted]:
    """Clusters of Table 1, packed greedily around each district's PACK_CENTRE, largest
    first, each at least eps (+60 m) from its neighbours' edges."""
    planted: list[Planted] = []
    for sector in ("comms", "software"):
        placed = np.empty((0, 3))
        for (sec, dcode), (k, largest, mean) in TABLE1.items():
            if sec != sector:
                continue
            # Scaled down: fewer clusters of the same shape. Scaled up (benchmarks): the
            # table's clusters repeated.
            kk = max(1, round(k * scale))
            sizes: list[int] = []
            while len(sizes) < kk:
                sizes += cluster_sizes(rng, min(k, kk), largest, mean)
            towns = TOWNS[dcode]
            cx, cy = _to_m(*PACK_CENTRE[dcode])
            cursor = 0
            for i, size in enumerate(sorted(sizes[:kk], reverse=True)):
                p = Planted(f"{sector}-{dcode}-{i + 1:03d}", sector, dcode, "", 0.0, 0.0, size)
                x, y, cursor = _free_spot(float(cx), float(cy), p.radius, placed, cursor)
                p.x, p.y = x + rng.uniform(-20, 20), y + rng.uniform(-20, 20)
                p.town = min(towns, key=lambda t: float(np.hypot(*(np.array(_to_m(t[1], t[2]))
                                                                   - (x, y)))))[0]
                placed = np.vstack([placed, (p.x, p.y, p.radius)])
                planted.append(p)
    return planted


_SPIRAL = None
_SPIRAL_D = None


def _free_spot(cx: float, cy: float, r: float, placed: np.ndarray,
               cursor: int = 0) -> tuple[float, float, int]:
    """The candidate nearest (cx, cy) on a 100 m lattice, from ``cursor`` on, that keeps
    every placed disc at least eps + 60 m away from a disc of radius r there (the 40 m
    jitter is within the margin). Returns the spot and the cursor to resume from."""
    global _SPIRAL, _SPIRAL_D
    if _SPIRAL is None:
        g = np.arange(-400, 401) * 100.0  # 80 km across: room for scaled-up benchmarks
        gx, gy = np.meshgrid(g, g)
        d = np.hypot(gx, gy).ravel()
        order = np.argsort(d, kind="stable")
        _SPIRAL = np.stack([gx.ravel()[order], gy.ravel()[order]], axis=1)
        _SPIRAL_D = d[order]
    xs, ys = cx + _SPIRAL[:, 0], cy + _SPIRAL[:, 1]
    if len(placed) == 0:
        return float(xs[cursor]), float(ys[cursor]), cursor
    # A block of candidates lies between two distances from (cx, cy), the lattice being
    # in order of distance. A disc farther than its reach outside that ring keeps every
    # candidate of the block clear (triangle inequality), so only the discs near the
    # ring are tested: the same spot as testing all of them (1 m spare for rounding),
    # in a fraction of the time (the scale-10 registry spent 2 of its 3.5 minutes here).
    reach = placed[:, 2] + r + EPS + 60 + 40 + 1
    centre_d = np.hypot(placed[:, 0] - cx, placed[:, 1] - cy)
    for start in range(cursor, len(xs), 2048):
        sx, sy = xs[start:start + 2048], ys[start:start + 2048]
        d = _SPIRAL_D[start:start + 2048]
        near = placed[(centre_d > d[0] - reach) & (centre_d < d[-1] + reach)]
        gap = np.hypot(sx[:, None] - near[None, :, 0], sy[:, None] - near[None, :, 1]) \
            - near[None, :, 2] - r
        ok = np.flatnonzero((gap >= EPS + 60 + 40).all(axis=1))
        if len(ok):
            return float(sx[ok[0]]), float(sy[ok[0]]), start + int(ok[0])
    raise RuntimeError("no room left for a planted cluster")


MASK_CELL = 50.0


def _exclusion_mask(centres: np.ndarray, box: tuple[float, float, float, float]):
    """A raster of MASK_CELL cells marking every cell within (radius + eps + 60 m) of a
    planted cluster, widened by a cell diagonal so that the test is conservative; returns
    a vectorised point test."""
    x0, y0 = box[0], box[2]
    nx = int((box[1] - box[0]) / MASK_CELL) + 1
    ny = int((box[3] - box[2]) / MASK_CELL) + 1
    mask = np.zeros((nx, ny), dtype=bool)
    pad = MASK_CELL * 1.5
    for cx, cy, cr in centres:
        reach = cr + EPS + 60 + pad
        i0 = max(int((cx - reach - x0) / MASK_CELL), 0)
        i1 = min(int((cx + reach - x0) / MASK_CELL) + 1, nx)
        j0 = max(int((cy - reach - y0) / MASK_CELL), 0)
        j1 = min(int((cy + reach - y0) / MASK_CELL) + 1, ny)
        if i0 >= i1 or j0 >= j1:
            continue
        gx = x0 + (np.arange(i0, i1) + 0.5) * MASK_CELL
        gy = y0 + (np.arange(j0, j1) + 0.5) * MASK_CELL
        mask[i0:i1, j0:j1] |= np.hypot(gx[:, None] - cx, gy[None, :] - cy) < reach

    def test(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        i = np.clip(((x - x0) / MASK_CELL).astype(np.int64), 0, nx - 1)
        j = np.clip(((y - y0) / MASK_CELL).astype(np.int64), 0, ny - 1)
        return mask[i, j]

    return test


def _background(rng: np.random.Generator, n: int, centres: np.ndarray, dcodes: list[str]):
    """n points spread evenly within 12 km of the towns, none within eps of a planted
    cluster; each takes the district of its nearest town.

    Evenly, not concentrated on town centres: the study's pool (84,000 software firms
    in 3,800 km2) is only compatible with its ~300 clusters if most firms sit below
    DBSCAN's density threshold (30 within 500 m).
    """
    towns = [(d, t) for d in dcodes for t in TOWNS[d]]
    tx, ty = _to_m([t[1] for _, t in towns], [t[2] for _, t in towns])
    reach = 12000.0
    box = (tx.min() - reach, tx.max() + reach, ty.min() - reach, ty.max() + reach)
    excluded = _exclusion_mask(centres, box)
    xs, ys, idx = [], [], []
    have = 0
    while have < n:
        m = (n - have) * 3 + 1000
        x = rng.uniform(box[0], box[1], m)
        y = rng.uniform(box[2], box[3], m)
        nearest = np.empty(m, dtype=np.int64)
        best = np.full(m, np.inf)
        for i in range(len(towns)):  # nearest town, one town at a time (memory stays flat)
            d = np.hypot(x - tx[i], y - ty[i])
            closer = d < best
            best[closer], nearest[closer] = d[closer], i
        keep = (best <= reach) & ~excluded(x, y)
        x, y, nearest = x[keep], y[keep], nearest[keep]
        take = min(n - have, len(x))
        xs.append(x[:take]), ys.append(y[:take]), idx.append(nearest[:take])
        have += take
    ti = np.concatenate(idx) if idx else np.array([], int)
    return (np.concatenate(xs) if xs else np.array([]), np.concatenate(ys) if ys else np.array([]),
            [towns[i][0] for i in ti], [towns[i][1][0] for i in ti])


@dataclass
class Generated:
    registry: Path
    truth: Path
    records: int
    planted: int


class _Rows:
    """The registry's rows as CSV lines in a temporary file, by number. The generator
    writes them as it makes them and reads some back (the rows copied to be excluded,
    then all of them in shuffled order), holding only their offsets: 8 bytes a row,
    where lists of strings took about 1 KB (1.35 GB at scale 10)."""

    def __init__(self, directory: Path) -> None:
        self.file = tempfile.TemporaryFile(dir=directory)
        self.offsets = array("q", [0])
        self._line = io.StringIO()
        self._writer = csv.writer(self._line, lineterminator="\n")
        self._reading = False

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def append(self, row: list[str]) -> None:
        if self._reading:
            self.file.seek(self.offsets[-1])
            self._reading = False
        self.file.write(self.encode(row))
        self.offsets.append(self.file.tell())

    def encode(self, row: list[str]) -> bytes:
        """A row as the registry file's CSV line."""
        self._line.seek(0)
        self._line.truncate()
        self._writer.writerow(row)
        return self._line.getvalue().encode("utf-8")

    def line(self, i: int) -> bytes:
        self._reading = True
        self.file.seek(self.offsets[i])
        return self.file.read(self.offsets[i + 1] - self.offsets[i])

    def __getitem__(self, i: int) -> list[str]:
        return next(csv.reader([self.line(i).decode("utf-8")]))


def generate(out_dir: Path, *, seed: int = 2024, scale: float = 1.0,
             name: str = "foshan_registry.csv") -> Generated:
    """Write ``name`` (the registry export) and ``<stem>.truth.csv`` into ``out_dir``."""
    rng = np.random.default_rng(seed)
    pr = random.Random(seed)  # per-row attribute draws: plain Python is faster per call
    writable_dir(out_dir, out_dir)
    planted = plant_clusters(rng, scale)
    rows = _Rows(out_dir)
    # the ground truth: each accepted row's credit code (18 ASCII characters) and its
    # planted cluster (an index into planted, -1 for none)
    truth_codes = bytearray()
    truth_cluster = array("i")
    serial = iter(range(10**8))

    def credit_code(dcode: str) -> str:
        body = "91" + dcode + f"MA{next(serial):07d}"[:9]
        body = body[:8] + "".join(ALPHABET[int(c)] if c.isdigit() else c for c in body[8:17])
        return body + check_digit(body)

    def firm(kind: str, dcode: str, town: str, lon: float, lat: float) -> list[str]:
        size = pr.choices(SIZES, SIZE_W)[0]
        capital = CAPITAL_MEAN_WAN[size] * pr.lognormvariate(-0.18, 0.6)
        if pr.random() < 0.04:
            cap = f"{capital / 7.12:.1f}万美元"
        elif pr.random() < 0.5:
            cap = f"{capital:.0f}万人民币"
        else:
            cap = f"{capital:,.1f} 万元" if capital >= 1000 else f"{capital:.1f}万元"
        if kind == "comms":
            code, tags, scope = pr.choice(CODES_39), "高新技术企业", pr.choice(SCOPE_39)
        elif kind == "digital":
            code, tags = pr.choice(CODES_OTHER), "数字经济;专精特新"
            scope = pr.choice(SCOPE_DIGITAL)
        elif kind == "software":
            code, tags, scope = pr.choice(CODES_SOFT), "", pr.choice(SCOPE_SOFT)
        else:
            code, tags, scope = pr.choice(CODES_NONDIGITAL), "", pr.choice(SCOPE_OTHER)
        if kind != "other" and pr.random() < 0.05:
            code = ""  # no industry code: the business scope decides
        year = pr.randrange(1995, 2025)
        date = f"{year}-{pr.randrange(1, 13):02d}-{pr.randrange(1, 29):02d}"
        if pr.random() < 0.1:
            date = date.replace("-0", "/").replace("-", "/")
        d_zh = DISTRICTS[dcode][0]
        nm = ("佛山市" + "".join(pr.choices(WORDS, k=2)) + pr.choice(SUFFIX[kind]) + "有限公司")
        return [nm, credit_code(dcode), pr.choices(["存续", "在业", "存续（在营、开业、在册）"],
                                                    [0.7, 0.25, 0.05])[0],
                date, cap, code, tags, f"{scope}；{pr.choice(SCOPE_OTHER)}" if kind == "other"
                else f"{scope}；技术服务", d_zh,
                f"广东省佛山市{d_zh}{town}{''.join(pr.choices(WORDS, k=2))}路"
                f"{pr.randrange(1, 300)}号",
                "" if pr.random() < 0.1 else SIZE_ZH[size],
                "是" if pr.random() < DT_RATE[size] else "否", f"{lon:.6f}", f"{lat:.6f}"]

    def to_gcj(x, y):
        lon, lat = _to_deg(x, y)
        return wgs84_to_gcj02(np.asarray(lon, float), np.asarray(lat, float))

    # Planted cluster members.
    kinds_39 = ("comms", "digital")
    share_39 = POOL["division_39"] / (POOL["division_39"] + POOL["digital_label"])
    counts = {"comms": 0, "digital": 0, "software": 0}

    def accepted(row: list[str], cluster: int) -> None:
        rows.append(row)
        truth_codes.extend(row[1].encode("ascii"))
        truth_cluster.append(cluster)

    for k, p in enumerate(planted):
        r = p.radius * np.sqrt(rng.random(p.size))
        t = rng.uniform(0, 2 * np.pi, p.size)
        lon, lat = to_gcj(p.x + r * np.cos(t), p.y + r * np.sin(t))
        for i in range(p.size):
            kind = p.sector if p.sector == "software" else \
                kinds_39[0] if rng.random() < share_39 else kinds_39[1]
            counts[kind] += 1
            accepted(firm(kind, p.district, p.town, lon[i], lat[i]), k)

    # Background firms: spread over the city, never within eps of a planted cluster of
    # their own sector group.
    targets = {"comms": POOL["division_39"], "digital": POOL["digital_label"],
               "software": POOL["software"]}
    centres = {s: np.array([(p.x, p.y, p.radius) for p in planted if p.sector == s])
               for s in ("comms", "software")}
    dcodes = list(DISTRICT_WEIGHT)
    for kind, target in targets.items():
        n = max(0, round(target * scale) - counts[kind])
        group = "software" if kind == "software" else "comms"
        xs, ys, ds, ts = _background(rng, n, centres[group], dcodes)
        lon, lat = to_gcj(xs, ys)
        for i in range(n):
            accepted(firm(kind, ds[i], ts[i], lon[i], lat[i]), -1)

    # Rows the screening must exclude.
    n_ok = len(rows)
    excluded = {k: round(v * scale) for k, v in EXCLUDED.items()}
    for _ in range(excluded["status"]):
        r = list(rows[int(rng.integers(n_ok))])
        r[1] = credit_code(rng.choice(dcodes))
        r[2] = rng.choice(["注销", "吊销，未注销", "迁出", "停业", "清算", "撤销"])
        rows.append(r)
    for _ in range(excluded["non_digital"]):
        dcode = rng.choice(dcodes, p=list(DISTRICT_WEIGHT.values()))
        town = TOWNS[dcode][int(rng.integers(len(TOWNS[dcode])))]
        lon, lat = wgs84_to_gcj02(np.array([town[1] + rng.normal(0, 0.05)]),
                                  np.array([town[2] + rng.normal(0, 0.05)]))
        rows.append(firm("other", dcode, town[0], lon[0], lat[0]))
    # irregular as the screening judges it (壹佰万元, in this list until revision 0089,
    # is a capital written in formal numerals, and regular)
    bad_capital = ["", "0万人民币", "-20万人民币", "未公开", "50万XYZ币", "不详"]
    for i in range(excluded["capital"]):
        r = list(rows[int(rng.integers(n_ok))])
        r[1], r[4] = credit_code(rng.choice(dcodes)), bad_capital[i % len(bad_capital)]
        rows.append(r)
    for what in ("coord_missing", "coord_swapped", "coord_outside"):
        for _ in range(excluded[what]):
            r = list(rows[int(rng.integers(n_ok))])
            r[1] = credit_code(rng.choice(dcodes))
            if what == "coord_missing":
                r[12], r[13] = "", ""
            elif what == "coord_swapped":
                r[12], r[13] = r[13], r[12]
            else:
                r[12], r[13] = f"{116.4 + rng.random():.6f}", f"{39.9 + rng.random():.6f}"
            rows.append(r)
    for _ in range(excluded["credit_invalid"]):
        r = list(rows[int(rng.integers(n_ok))])
        code = credit_code(rng.choice(dcodes))
        r[1] = code[:17] + ALPHABET[(ALPHABET.index(code[17]) + 1) % 31]
        rows.append(r)
    # Duplicates: exact copies of accepted rows, placed after their original.
    order = rng.permutation(len(rows))
    duplicated = {int(s) for s in rng.choice(n_ok, excluded["duplicate"], replace=False)}
    registry = out_dir / name
    with open(registry, "wb") as f:
        f.write(rows.encode(HEADERS))
        for i in order.tolist():
            line = rows.line(i)
            f.write(line)
            if i in duplicated:
                f.write(line)
    records = len(rows) + len(duplicated)
    rows.file.close()
    truth_path = registry.with_suffix(".truth.csv")
    codes = np.frombuffer(bytes(truth_codes), dtype="S18")
    with open(truth_path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["credit_code", "planted_cluster"])
        # by credit code (unique: each is made from a serial number)
        for i in np.argsort(codes, kind="stable"):
            k = truth_cluster[i]
            w.writerow([codes[i].decode("ascii"), planted[k].key if k >= 0 else ""])
    return Generated(registry, truth_path, records, len(planted))
