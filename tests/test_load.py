"""Loader: formats, screening rules, coordinate systems, bad input, nightly safety."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from helpers import assert_one_line_error, one_line_error, run_cli
from industry_clusters.errors import LockedError, UserError
from industry_clusters.load import load_file
from industry_clusters.publish import cell_text
from registry_files import HEADERS, credit_code, row, write_csv, write_geojson

# A row's industry and scope in no digital sector (metal products): rejected as non_digital
NOT_DIGITAL = {"国标行业": "C3311", "经营范围": "金属制品"}


def counts_add_up(conn, run_id: int) -> dict:
    """The run's counts, checked: read = accepted + rejected = accepted + rows in rejects."""
    read, acc, rej, by_reason, status = conn.execute(
        "SELECT rows_read, rows_accepted, rows_rejected, rejected_by_reason, status "
        "FROM registry.load_runs WHERE load_run_id = %s", (run_id,)).fetchone()
    assert status == "succeeded"
    assert read == acc + rej
    n_rejects = conn.execute("SELECT count(*) FROM registry.rejects WHERE load_run_id = %s",
                             (run_id,)).fetchone()[0]
    assert n_rejects == rej == sum(by_reason.values())
    return {"read": read, "accepted": acc, "rejected": rej, "by_reason": by_reason}


def reject_reasons(conn, run_id: int) -> dict[str, str]:
    """credit code (or record number) -> reason, for each reject of the run."""
    return dict(conn.execute(
        "SELECT coalesce(credit_code, line_no::text), reason FROM registry.rejects "
        "WHERE load_run_id = %s", (run_id,)).fetchall())


def enterprise(conn, code: str) -> dict:
    cur = conn.execute("SELECT * FROM registry.enterprises WHERE credit_code = %s", (code,))
    values = cur.fetchone()
    assert values is not None, f"{code} was not loaded"
    return dict(zip([d.name for d in cur.description], values, strict=True))


def test_good_rows_are_loaded_with_parsed_fields(tmp_path, db_url, conn):
    rows = [row(),
            row(注册资本="50万美元", 企业规模="", 国标行业="C3921", 经营范围="通信设备制造"),
            row(注册资本="1,200 万元", 成立日期="2015年3月2日", 企业标签="数字经济",
                国标行业="F5179", 数字化转型="是")]
    res = load_file(db_url, write_csv(tmp_path / "a.csv", rows), crs="wgs84")
    assert res.counts["accepted"] == 3 and res.counts["inserted"] == 3
    counts_add_up(conn, res.load_run_id)
    a, b, c = (enterprise(conn, r["统一社会信用代码"]) for r in rows)
    assert (a["sector_id"], a["digital_label"], a["capital_amount"], a["capital_currency"]) == \
        (2, False, 1000000, "CNY")
    assert (a["size_class"], a["size_class_source"]) == ("small", "file")
    assert (b["sector_id"], b["capital_amount"], b["capital_currency"]) == (1, 500000, "USD")
    assert float(b["capital_cny"]) == pytest.approx(500000 * 7.12)
    # 356万 CNY derives "small" (registry.size_thresholds: small from 100万, medium from 1000万)
    assert (b["size_class"], b["size_class_source"]) == ("small", "derived")
    assert (c["sector_id"], c["digital_label"], c["capital_amount"]) == (1, True, 12000000)
    assert str(c["established"]) == "2015-03-02" and c["digital_transformation"] is True
    assert a["active"] and a["district_name"] == "禅城区"


@pytest.mark.parametrize("over, reason", [
    ({"统一社会信用代码": ""}, "credit_code_missing"),
    ({"统一社会信用代码": "91440604MA00000XYZ"}, "credit_code_invalid"),
    ({"企业名称": "  "}, "name_missing"),
    ({"登记状态": "注销"}, "status_inactive"),
    ({"登记状态": "吊销，未注销"}, "status_inactive"),
    ({"登记状态": "迁出"}, "status_inactive"),
    ({"登记状态": "清算"}, "status_inactive"),
    ({"登记状态": "停业"}, "status_inactive"),
    ({"登记状态": "神秘状态"}, "status_unknown"),
    # operating abnormally: read as active for 正常 / normal until revision 0091
    ({"登记状态": "非正常户"}, "status_inactive"),
    ({"登记状态": "存续（经营异常）"}, "status_inactive"),
    ({"登记状态": "Abnormal"}, "status_inactive"),
    (NOT_DIGITAL, "non_digital"),
    ({"国标行业": "", "经营范围": "餐饮服务"}, "non_digital"),
    ({"注册资本": ""}, "capital_irregular"),
    ({"注册资本": "0万人民币"}, "capital_irregular"),
    ({"注册资本": "-20万人民币"}, "capital_irregular"),
    ({"注册资本": "未公开"}, "capital_irregular"),
    ({"注册资本": "50万XYZ币"}, "capital_irregular"),
    ({"经度": "", "纬度": ""}, "coordinates_missing"),
    ({"经度": "abc", "纬度": "23.0"}, "coordinates_missing"),
    ({"经度": "23.030000", "纬度": "113.114000"}, "coordinates_swapped"),
    ({"经度": "116.4", "纬度": "39.9"}, "coordinates_outside_region"),
    ({"成立日期": "2021-02-30"}, "bad_date"),
])
def test_each_screening_rule(tmp_path, db_url, conn, over, reason):
    good, bad = row(), row(**over)
    res = load_file(db_url, write_csv(tmp_path / "r.csv", [good, bad]), crs="wgs84")
    counts = counts_add_up(conn, res.load_run_id)
    assert counts["accepted"] == 1 and counts["by_reason"] == {reason: 1}
    msg = conn.execute("SELECT message, raw->>'企业名称' FROM registry.rejects").fetchone()
    assert msg[0] and msg[1] == bad["企业名称"]  # the raw row is kept as read


def test_active_statuses_as_exports_write_them(tmp_path, db_url, conn):
    """The operating statuses of Qichacha's, Tianyancha's and the public registry's
    exports that mean a firm in business are accepted; 迁入 (moved in) was
    status_unknown until revision 0091."""
    statuses = ["存续", "存续（在营、开业、在册）", "在业", "在营（开业）企业", "开业", "迁入",
                "正常", "Active"]
    rows = [row(登记状态=s) for s in statuses]
    res = load_file(db_url, write_csv(tmp_path / "a.csv", rows), crs="wgs84")
    assert counts_add_up(conn, res.load_run_id)["accepted"] == len(statuses), \
        reject_reasons(conn, res.load_run_id)


@pytest.mark.parametrize("raw, value", [
    ("2015-03-12", "2015-03-12"), ("2015/3/12", "2015-03-12"), ("2015.3.12", "2015-03-12"),
    ("2015年3月12日", "2015-03-12"), ("20150312", "2015-03-12"),
    ("2015-03-12 08:30:00", "2015-03-12"), ("2015-03-12T08:30:00", "2015-03-12"),
    # Excel serial dates: a date cell that lost its format, or a CSV saved so
    ("42075", "2015-03-12"), (" 42075.0 ", "2015-03-12"), ("42075.75", "2015-03-12"),
    ("32874", "1990-01-01"), ("", None), (None, None),
    ("2021-02-30", "bad"), ("2015", "bad"), ("4207", "bad"), ("420750", "bad"),
    ("42075.5.1", "bad"), ("-42075", "bad"), ("2015-13-01", "bad"), ("明年", "bad"),
])
def test_date_formats(conn, raw, value):
    got = conn.execute("SELECT value::text, bad FROM registry.parse_date(%s)", (raw,)).fetchone()
    assert got == ((None, True) if value == "bad" else (value, False))


def test_excel_serial_dates_in_a_workbook_load(tmp_path, db_url, conn):
    """A 成立日期 column of numbers in General format (42075), as openpyxl reads a date
    cell whose format was lost: the firm was rejected as bad_date."""
    import openpyxl

    r = row()
    wb = openpyxl.Workbook()
    wb.active.append(list(r))
    wb.active.append([42075 if k == "成立日期" else v for k, v in r.items()])
    wb.save(tmp_path / "r.xlsx")
    res = load_file(db_url, tmp_path / "r.xlsx", crs="wgs84")
    assert counts_add_up(conn, res.load_run_id)["accepted"] == 1
    assert str(enterprise(conn, r["统一社会信用代码"])["established"]) == "2015-03-12"


@pytest.mark.parametrize("blank", ["\u3000", "\u00a0", "\u200b", "\ufeff", "\t"])
def test_unicode_blanks_around_values_are_trimmed(tmp_path, db_url, conn, blank):
    """Full-width input pads values with the ideographic space U+3000, text copied from
    web pages with no-break and zero-width spaces. Only ASCII spaces were trimmed: a
    credit code, status, capital, coordinate or date so padded was rejected, and a name
    of such blanks passed as a name. Padded, the rows load as the clean ones do."""
    clean = [row(), row(成立日期="2015年3月2日", 注册资本="1,200 万美元", 国标行业="C3911")]
    res = load_file(db_url, write_csv(tmp_path / "clean.csv", clean), crs="wgs84")
    expected = outcome(conn, res.load_run_id)[1]
    conn.execute("DELETE FROM registry.enterprises")
    conn.commit()

    def pad(r):
        return {k: f"{blank}{v}{blank}" if v else v for k, v in r.items()}

    nameless = pad(row(企业名称=blank))
    res = load_file(db_url, write_csv(tmp_path / "padded.csv", [pad(r) for r in clean] +
                                      [nameless]), crs="wgs84")
    assert reject_reasons(conn, res.load_run_id) == {
        nameless["统一社会信用代码"].strip(blank): "name_missing"}
    assert outcome(conn, res.load_run_id)[1] == expected
    # and a single location column ("113.12,23.04") so padded
    conn.execute("DELETE FROM registry.enterprises")
    conn.commit()
    headers = [h for h in HEADERS if h not in ("经度", "纬度")] + ["经纬度"]
    both = [pad(dict(r, 经纬度=f"{r['经度']},{r['纬度']}")) for r in clean]
    res = load_file(db_url, write_csv(tmp_path / "both.csv", both, headers=headers),
                    crs="wgs84")
    assert outcome(conn, res.load_run_id)[1] == expected


def test_credit_codes_in_full_width_or_lower_case_are_read_as_written(tmp_path, db_url,
                                                                       conn):
    """A code typed with a Chinese input method in full-width mode (９１４４...ＭＡ...) was
    rejected as credit_code_invalid. It is the same code: it is stored in ASCII, and a
    later row of it in ASCII is its duplicate."""
    full = str.maketrans("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                         "".join(chr(0xFF10 + i) for i in range(10)) +
                         "".join(chr(0xFF21 + i) for i in range(26)))
    a, b = row(), row()
    rows = [dict(a, 统一社会信用代码=a["统一社会信用代码"].translate(full)),
            dict(b, 统一社会信用代码=b["统一社会信用代码"].lower()), a]
    res = load_file(db_url, write_csv(tmp_path / "r.csv", rows), crs="wgs84")
    assert counts_add_up(conn, res.load_run_id)["by_reason"] == {"duplicate_credit_code": 1}
    assert enterprise(conn, a["统一社会信用代码"])["name"] == a["企业名称"]
    assert enterprise(conn, b["统一社会信用代码"])["name"] == b["企业名称"]


def full_width(text: str) -> str:
    """text as typed in full-width mode: its ASCII characters as U+FF01-U+FF5E."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def test_values_typed_in_full_width_load_as_their_ascii_forms(tmp_path, db_url, conn):
    """Digits typed in full-width mode (５００万元, ２０１５年３月１２日, Ｉ６５１０, １１３．１２)
    were read in credit codes only: such a capital was capital_irregular, such a date
    bad_date, such coordinates coordinates_missing, and such an industry code, size class
    or employee band was not read. Each parser reads them as ASCII; a name keeps its
    characters."""
    headers = [*HEADERS, "人员规模"]
    clean = [row(成立日期="2015年3月2日", 注册资本="1,200万元", 国标行业="C3911",
                 企业规模="S(小型)", 人员规模="50-99人"),
             row(成立日期="2018-10-01", 注册资本="(人民币)50万", 国标行业="软件业(I65)",
                 企业规模="", 人员规模="50~99人", 经度="113.095", 纬度="23.005",
                 企业名称="佛山市ＡＢＣ科技有限公司")]
    parsed = ("credit_code", "name", "sector_id", "capital_amount", "capital_currency",
              "capital_cny", "established", "size_class", "size_class_source", "source_x",
              "source_y")

    def loaded(rows, name, headers=headers):
        conn.execute("DELETE FROM registry.enterprises")
        conn.commit()
        res = load_file(db_url, write_csv(tmp_path / name, rows, headers), crs="wgs84")
        assert counts_add_up(conn, res.load_run_id)["accepted"] == len(rows)
        return [{k: enterprise(conn, c["统一社会信用代码"])[k] for k in parsed} for c in clean]

    expected = loaded(clean, "clean.csv")
    assert [e["size_class_source"] for e in expected] == ["file", "employees"]
    typed = [{k: (v if k in ("企业名称", "注册地址") else full_width(v)) for k, v in r.items()}
             for r in clean]
    typed = [dict(r, 统一社会信用代码=c["统一社会信用代码"]) for r, c in zip(typed, clean, strict=True)]
    assert typed[0]["注册资本"] == "１，２００万元"
    assert loaded(typed, "typed.csv") == expected
    # coordinates in one column, and a credit code, typed so
    headers = [h for h in headers if h not in ("经度", "纬度")] + ["经纬度"]
    both = [dict(r, 经纬度=full_width(f"{c['经度']},{c['纬度']}"),
                 统一社会信用代码=full_width(c["统一社会信用代码"]))
            for r, c in zip(typed, clean, strict=True)]
    assert loaded(both, "both.csv", headers) == expected


def test_scope_keywords_decide_without_an_industry_code(tmp_path, db_url, conn):
    """Without an industry, the business scope decides. Selling software or selling
    online (互联网销售, a standard item of most trading firms' scopes) is trade, not
    software and IT services: until revision 0092 either made a firm digital."""
    soft, comms = row(国标行业="", 经营范围="软件开发；信息技术咨询"), \
        row(国标行业="", 经营范围="通信设备制造")
    both = row(国标行业="", 经营范围="软件销售；软件开发")
    shops = [row(国标行业="", 经营范围="一般项目：互联网销售（除销售需要许可的商品）；日用百货销售"),
             row(国标行业="", 经营范围="软件销售；计算机软硬件及辅助设备零售"),
             row(国标行业="", 经营范围="Software sales; internet sales")]
    res = load_file(db_url, write_csv(tmp_path / "s.csv", [soft, comms, both, *shops]),
                    crs="wgs84")
    assert counts_add_up(conn, res.load_run_id)["by_reason"] == {"non_digital": 3}
    assert enterprise(conn, soft["统一社会信用代码"])["sector_id"] == 2
    assert enterprise(conn, comms["统一社会信用代码"])["sector_id"] == 1
    assert enterprise(conn, both["统一社会信用代码"])["sector_id"] == 2


def test_a_default_rule_is_updated_unless_edited(conn):
    """Revision 0092 changed the default pattern of sector rule 4: a database that still
    has the earlier default gets the new one when the rules file runs again, and one
    whose rule 4 a user edited keeps it."""
    from industry_clusters.db import sql_file

    new = conn.execute("SELECT pattern FROM registry.sector_rules WHERE rule_id = 4"
                       ).fetchone()[0]
    old = new.replace("(?!销售)", "").replace("(?! ?sales)", "")
    assert old != new
    for before, after in ((old, new), ("软件|ours", "软件|ours")):
        conn.execute("UPDATE registry.sector_rules SET pattern = %s WHERE rule_id = 4", (before,))
        conn.execute(sql_file("load/020_rules.sql"))
        assert conn.execute("SELECT pattern FROM registry.sector_rules WHERE rule_id = 4"
                            ).fetchone()[0] == after


@pytest.mark.parametrize("value, division", [
    ("I6510", "65"), ("6510", "65"), ("软件业(I65)", "65"),
    ("软件和信息技术服务业", "65"), ("互联网和相关服务", "64"),
    ("电信、广播电视和卫星传输服务", "63"), ("计算机、通信和其他电子设备制造业", "39"),
    ("批发业", "51"), (" 软件和信息技术服务业 ", "65"),
    # a path of section, division, group and class, as one column
    ("信息传输、软件和信息技术服务业-软件和信息技术服务业-软件开发-应用软件开发", "65"),
    ("制造业 > 计算机、通信和其他电子设备制造业 > 通信设备制造", "39"),
    ("制造业／计算机、通信和其他电子设备制造业", "39"),
    ("开采辅助活动", "11"),  # a GB/T 4754-2011 name
    # the standard's designation and edition are not a code
    ("GB/T 4754-2017 I6510", "65"), ("2017版 C3911", "39"), ("C3911（2017年版）", "39"),
    ("国民经济行业分类(GB/T4754—2011): 6510", "65"), ("2011年版", None),
    # a section names no one division; a group's or class's name is not a division's
    ("信息传输、软件和信息技术服务业", None), ("软件开发", None), ("", None), (None, None),
])
def test_industry_division_from_code_or_name(conn, value, division):
    got = conn.execute("SELECT registry.gbt4754_division(%s)", (value,)).fetchone()[0]
    assert got == division


def test_industry_names_decide_the_sector(tmp_path, db_url, conn):
    """An export shaped as Qichacha's: the industry as names in 门类/大类/中类/小类
    columns, no code. The division's name decides the sector, before the business scope
    (a comms maker whose scope names 信息技术 was put with software by the scope), and
    without a scope column a firm was non_digital."""
    headers = [h for h in HEADERS if h != "国标行业"] + \
        ["国标行业门类", "国标行业大类", "国标行业中类", "国标行业小类"]
    comms = row(经营范围="通信设备制造；信息技术咨询服务", 国标行业门类="制造业",
                国标行业大类="计算机、通信和其他电子设备制造业", 国标行业中类="通信设备制造",
                国标行业小类="通信终端设备制造")
    soft = row(经营范围="企业管理咨询", 国标行业门类="信息传输、软件和信息技术服务业",
               国标行业大类="软件和信息技术服务业", 国标行业中类="软件开发",
               国标行业小类="应用软件开发")
    trade = row(经营范围="计算机软件销售", 国标行业门类="批发和零售业", 国标行业大类="批发业",
                国标行业中类="机械设备、五金产品及电子产品批发",
                国标行业小类="计算机、软件及辅助设备批发")
    res = load_file(db_url, write_csv(tmp_path / "q.csv", [comms, soft, trade], headers),
                    crs="wgs84")
    assert counts_add_up(conn, res.load_run_id)["by_reason"] == {"non_digital": 1}
    assert enterprise(conn, comms["统一社会信用代码"])["sector_id"] == 1
    assert enterprise(conn, soft["统一社会信用代码"])["sector_id"] == 2
    assert enterprise(conn, soft["统一社会信用代码"])["industry_code"] == "软件和信息技术服务业"
    # one column of names, no business scope: Tianyancha's 所属行业
    headers = [h for h in HEADERS if h not in ("国标行业", "经营范围")] + ["所属行业"]
    one = row(所属行业="软件和信息技术服务业")
    res = load_file(db_url, write_csv(tmp_path / "t.csv", [one], headers), crs="wgs84",
                    full_refresh=False)
    assert res.counts["accepted"] == 1
    assert enterprise(conn, one["统一社会信用代码"])["sector_id"] == 2


def test_division_names_are_an_editable_table(tmp_path, db_url, conn):
    conn.execute("INSERT INTO registry.industry_divisions (name, division) "
                 "VALUES ('软件业', '65')")
    conn.commit()
    r = row(国标行业="软件业", 经营范围="企业管理咨询")
    res = load_file(db_url, write_csv(tmp_path / "e.csv", [r]), crs="wgs84")
    assert res.counts["accepted"] == 1
    assert enterprise(conn, r["统一社会信用代码"])["sector_id"] == 2


def test_size_class_from_insured_employees(tmp_path, db_url, conn):
    """参保人数, as Qichacha and Tianyancha export it, gives the size class by the national
    classification's employee thresholds of the firm's sector, where the file gives no
    class; registered capital decides only without either."""
    headers = [*HEADERS, "参保人数"]
    rich = "5000万人民币"  # large by capital alone
    soft = row(企业规模="", 注册资本=rich, 参保人数="15")
    comms = row(企业规模="", 注册资本=rich, 国标行业="C3921", 参保人数="15人")
    unknown = row(企业规模="", 注册资本=rich, 参保人数="-")
    given = row(企业规模="中型", 参保人数="5")
    rows = [soft, comms, unknown, given]
    res = load_file(db_url, write_csv(tmp_path / "s.csv", rows, headers), crs="wgs84")
    counts_add_up(conn, res.load_run_id)

    def size(r):
        e = enterprise(conn, r["统一社会信用代码"])
        return e["size_class"], e["size_class_source"], e["employees"]

    # software: small from 10 employees; industry (comms): small only from 20
    assert size(soft) == ("small", "employees", 15)
    assert size(comms) == ("micro", "employees", 15)
    assert size(unknown) == ("large", "derived", None)
    assert size(given) == ("medium", "file", 5)
    # the next export: the firm has grown, and the registry follows
    res = load_file(db_url, write_csv(tmp_path / "s2.csv", [dict(soft, 参保人数="120"),
                                                            comms, unknown, given], headers),
                    crs="wgs84")
    assert res.counts["updated"] == 1
    assert size(soft) == ("medium", "employees", 120)


def test_size_class_from_a_band_of_employees(tmp_path, db_url, conn):
    """Tianyancha's 人员规模 gives employees as a band (50-99人, 小于50人, 10000人以上): the
    column was not read, and the capital decided. A band decides the class when it lies
    in one class of the firm's sector; a count (参保人数) comes first when the file has
    both."""
    headers = [*HEADERS, "人员规模"]
    rich = "5000万人民币"  # large by capital alone
    small = row(企业规模="", 注册资本=rich, 人员规模="50-99人")
    medium = row(企业规模="", 注册资本=rich, 国标行业="C3921", 人员规模="500-999人")
    big = row(企业规模="", 注册资本="50万人民币", 人员规模="10000人以上")
    spans = row(企业规模="", 注册资本=rich, 人员规模="100-499人")  # software: medium or large
    few = row(企业规模="", 注册资本=rich, 人员规模="小于50人")  # micro or small
    rows = [small, medium, big, spans, few]
    res = load_file(db_url, write_csv(tmp_path / "b.csv", rows, headers), crs="wgs84")
    assert counts_add_up(conn, res.load_run_id)["accepted"] == 5

    def size(r):
        e = enterprise(conn, r["统一社会信用代码"])
        return e["size_class"], e["size_class_source"], e["employees"]

    assert [size(r) for r in rows] == [
        ("small", "employees", None), ("medium", "employees", None),
        ("large", "employees", None), ("large", "derived", None), ("large", "derived", None)]
    # both columns: the count decides
    both = row(企业规模="", 注册资本=rich, 参保人数="15", 人员规模="10000人以上")
    load_file(db_url, write_csv(tmp_path / "c.csv", [both], [*HEADERS, "参保人数", "人员规模"]),
              crs="wgs84", full_refresh=False)
    assert size(both) == ("small", "employees", 15)


@pytest.mark.parametrize("raw, band", [
    ("12", (12, 12)), ("1,200人", (1200, 1200)), ("50-99人", (50, 99)), ("100～499人", (100, 499)),
    ("5000 - 9999 人", (5000, 9999)), ("小于50人", (0, 49)), ("50人以下", (0, 50)),
    ("10000人以上", (10000, None)), ("1万人以上", (10000, None)), ("大于100人", (101, None)),
    ("99-50人", None), ("-", None), ("暂无", None), ("1,20", None), ("12.5", None),
])
def test_employee_bands(conn, raw, band):
    got = conn.execute("SELECT lo, hi FROM registry.parse_employee_band(%s)", (raw,)).fetchone()
    assert got == band


def test_rules_are_editable_tables(tmp_path, db_url, conn):
    conn.execute("INSERT INTO registry.status_rules VALUES (9, 5, '^试营业$', true, 'local')")
    conn.commit()
    r = row(登记状态="试营业")
    res = load_file(db_url, write_csv(tmp_path / "e.csv", [r]), crs="wgs84")
    assert res.counts["accepted"] == 1


def test_duplicates_keep_the_first_row(tmp_path, db_url, conn):
    a = row(企业名称="第一")
    b = dict(a, 企业名称="第二")
    res = load_file(db_url, write_csv(tmp_path / "d.csv", [a, b, row()]), crs="wgs84")
    assert counts_add_up(conn, res.load_run_id)["by_reason"] == {"duplicate_credit_code": 1}
    assert enterprise(conn, a["统一社会信用代码"])["name"] == "第一"


def test_credit_code_check_digit_agrees_with_python(conn):
    codes = [credit_code() for _ in range(50)] + ["91350100M000100Y43"]
    bad = [credit_code(valid=False) for _ in range(50)]
    got = conn.execute("SELECT array_agg(registry.credit_code_valid(c) ORDER BY o) FROM "
                       "unnest(%s::text[]) WITH ORDINALITY AS u(c, o)", (codes + bad,)).fetchone()[0]
    assert got == [True] * len(codes) + [False] * len(bad)
    # the format: the check digit's byte reads must never see a malformed code
    good = codes[0]
    malformed = [good[:17], good + "0", good.lower(), good[:2] + "A" + good[3:],
                 good[:9] + "I" + good[10:], good[:9] + "\\" + good[10:],
                 good[:9] + "佛" + good[12:], "", "佛山市天天数据科技有限公司"]
    got = conn.execute("SELECT array_agg(registry.credit_code_valid(c) ORDER BY o) FROM "
                       "unnest(%s::text[]) WITH ORDINALITY AS u(c, o)", (malformed,)).fetchone()[0]
    assert got == [False] * len(malformed)
    assert conn.execute("SELECT registry.credit_code_valid(NULL)").fetchone()[0] is None


# -- who parses: the server (clean UTF-8 CSV) or Python (everything else) ----------
def parser_of(conn, run_id: int) -> str:
    return conn.execute("SELECT parser FROM registry.load_runs WHERE load_run_id = %s",
                        (run_id,)).fetchone()[0]


def outcome(conn, run_id: int) -> tuple[list, list]:
    """What a load produced, without ids and times: its rejects and the enterprises."""
    rejects = conn.execute(
        "SELECT line_no, reason, message, credit_code, raw FROM registry.rejects "
        "WHERE load_run_id = %s ORDER BY line_no", (run_id,)).fetchall()
    cur = conn.execute("SELECT * FROM registry.enterprises ORDER BY credit_code")
    skip = {"enterprise_id", "first_load_run_id", "last_load_run_id", "updated_at"}
    names = [d.name for d in cur.description]
    rows = [{k: v for k, v in zip(names, r, strict=True) if k not in skip} for r in cur]
    return rejects, rows


def test_server_and_python_parsers_give_the_same_result(tmp_path, db_url, conn):
    dup = row()
    rows = [row(), row(企业名称="佛山市\"引号\",逗号\n换行科技有限公司"), row(注册资本=""),
            row(统一社会信用代码="91440600MA4UKNOWN1"), row(国标行业="C1810", 经营范围="服装"),
            row(经度="23.03", 纬度="113.11"), row(登记状态="注销"), row(成立日期="2015-02-30"),
            dup, dict(dup, 企业名称="重复"), row(企业规模="", 注册资本="5000万美元"),
            row(经度="", 纬度="abc"), row(企业名称="  前后空格  ")]
    first = load_file(db_url, write_csv(tmp_path / "u.csv", rows), crs="gcj02")
    assert parser_of(conn, first.load_run_id) == "server"
    counts_add_up(conn, first.load_run_id)
    by_server = outcome(conn, first.load_run_id)
    conn.execute("DELETE FROM registry.enterprises")
    conn.commit()
    second = load_file(db_url, write_csv(tmp_path / "g.csv", rows, encoding="gb18030"),
                       crs="gcj02")
    assert parser_of(conn, second.load_run_id) == "python"
    assert outcome(conn, second.load_run_id) == by_server
    assert len(by_server[0]) == 8 and len(by_server[1]) == 6  # 5 accepted + 1 history


@pytest.mark.parametrize("tail, reason", [
    ('"只有,三个",字段\n', "field_count"),            # the server refuses the field count
    ("佛山市\x00公司" + ",x" * 13 + "\n", "nul_byte"),  # the server refuses NUL
    ('佛山市5"软件公司' + ",x" * 13 + "\n", None),       # a quote inside an unquoted field
    ("\\.\n", "field_count"),                        # a line that would end COPY early
])
def test_files_the_server_would_misread_go_through_python(tmp_path, db_url, conn, tail,
                                                          reason):
    path = write_csv(tmp_path / "t.csv", [row(), row()])
    with open(path, "a", encoding="utf-8") as f:
        f.write(tail)
    res = load_file(db_url, path, crs="wgs84")
    assert parser_of(conn, res.load_run_id) == "python"
    counts = counts_add_up(conn, res.load_run_id)
    assert counts["read"] == 3
    if reason:
        assert counts["by_reason"][reason] == 1
    else:  # Python's csv keeps the quote as text: a row like any other
        raw = conn.execute("SELECT raw FROM registry.rejects WHERE line_no = 3").fetchone()[0]
        assert raw["企业名称"] == '佛山市5"软件公司'


# -- encodings and formats -------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings_are_detected(tmp_path, db_url, conn, encoding):
    r = row(企业名称="佛山市顺德区美的软件有限公司")
    path = write_csv(tmp_path / "enc.csv", [r, row()], encoding=encoding)
    res = load_file(db_url, path, crs="wgs84")
    assert res.counts["accepted"] == 2
    assert enterprise(conn, r["统一社会信用代码"])["name"] == r["企业名称"]


def test_wrong_encoding_is_one_line(tmp_path, db_url):
    path = write_csv(tmp_path / "gbk.csv", [row()], encoding="gb18030")
    r = run_cli("load", str(path), "--crs", "wgs84", "--encoding", "utf-8", url=db_url)
    assert_one_line_error(r, "not valid utf-8", "--encoding gb18030")


def test_mixed_encodings_reject_the_bad_rows_only(tmp_path, db_url, conn):
    good = row(企业名称="佛山市好软件有限公司")
    gbk = row(企业名称="佛山市坏编码有限公司")
    path = write_csv(tmp_path / "mixed.csv", [good, row()])
    with open(path, "ab") as f:  # one row appended in GB18030 to a UTF-8 file
        f.write(",".join(gbk[h] for h in gbk).encode("gb18030") + b"\n")
    res = load_file(db_url, path, crs="wgs84")
    counts = counts_add_up(conn, res.load_run_id)
    assert counts["accepted"] == 2 and counts["by_reason"] == {"bad_encoding": 1}


@pytest.mark.parametrize("module, ext", [("gzip", "gz"), ("bz2", "bz2"), ("lzma", "xz")])
@pytest.mark.parametrize("encoding, parser", [("utf-8", "server"), ("gb18030", "python")])
def test_compressed_csv_loads_as_the_plain_file(tmp_path, db_url, conn, module, ext,
                                                 encoding, parser):
    """A registry.csv.gz (.bz2, .xz) is read as it is decompressed, by either parser,
    with the same outcome as the plain file; so is one named .csv: the first bytes
    decide. The load records the compressed file's hash and size."""
    import hashlib
    import importlib

    rows = [row(), row(企业名称="佛山市压缩软件有限公司"), row(注册资本=""), row(经度="")]
    plain = write_csv(tmp_path / "plain.csv", rows, encoding=encoding)
    first = load_file(db_url, plain, crs="gcj02")
    expected = outcome(conn, first.load_run_id)
    data = importlib.import_module(module).compress(plain.read_bytes())
    for name in (f"r.csv.{ext}", "disguised.csv"):
        conn.execute("DELETE FROM registry.enterprises")
        conn.commit()
        (tmp_path / name).write_bytes(data)
        res = run_cli("load", str(tmp_path / name), "--crs", "gcj02", "--force", url=db_url)
        assert res.exit_code == 0, res.output
        run = conn.execute("SELECT max(load_run_id) FROM registry.load_runs").fetchone()[0]
        assert parser_of(conn, run) == parser and outcome(conn, run) == expected
        assert conn.execute("SELECT file_sha256, file_bytes FROM registry.load_runs "
                            "WHERE load_run_id = %s", (run,)).fetchone() == \
            (hashlib.sha256(data).hexdigest(), len(data))


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux's /proc")
def test_a_file_that_cannot_be_read_is_one_line(db_url, conn):
    """A read that fails with an I/O error (a disk or a network share gone): one line
    saying the file could not be read, not that it cannot be decompressed, and not a
    traceback (as it was until 2026-11-25). /proc/self/mem is a real file whose first
    bytes cannot be read (EIO)."""
    r = run_cli("load", "/proc/self/mem", "--format", "csv", "--crs", "gcj02", url=db_url)
    assert_one_line_error(r, "mem could not be read", "Input/output error",
                          "copy it to a local disk")
    assert "decompress" not in r.output
    assert conn.execute("SELECT count(*) FROM registry.enterprises").fetchone()[0] == 0


def test_broken_or_unreadable_archives_are_one_line(tmp_path, db_url, conn):
    """A truncated compressed file fails the whole load (it is not a file with fewer
    rows): nothing loaded, the load run failed. A zip archive or a compressed layer is
    refused before anything is read."""
    import gzip
    import zipfile

    plain = write_csv(tmp_path / "r.csv", [row(), row()])
    load_file(db_url, plain, crs="gcj02")
    before = outcome(conn, 1)
    # big enough that the break comes after the first 64 KiB (the sample), while rows
    # are already flowing to the database
    big = write_csv(tmp_path / "big.csv", [row() for _ in range(3000)])
    data = gzip.compress(big.read_bytes())
    for name, cut in (("short.csv.gz", len(data) // 2), ("head.csv.gz", 40)):
        (tmp_path / name).write_bytes(data[:cut])
        assert_one_line_error(run_cli("load", str(tmp_path / name), "--crs", "gcj02",
                                      url=db_url), f"{name} cannot be decompressed",
                              "corrupt or truncated")
        status = conn.execute("SELECT status FROM registry.load_runs ORDER BY load_run_id "
                              "DESC LIMIT 1").fetchone()[0]
        assert status == "failed" and outcome(conn, 1) == before
    with zipfile.ZipFile(tmp_path / "r.zip", "w") as z:
        z.write(plain, "r.csv")
    assert_one_line_error(run_cli("load", str(tmp_path / "r.zip"), "--crs", "gcj02",
                                  url=db_url), "r.zip is a zip archive", "unzip r.zip")
    (tmp_path / "z.csv").write_bytes((tmp_path / "r.zip").read_bytes())
    assert_one_line_error(run_cli("load", str(tmp_path / "z.csv"), "--crs", "gcj02",
                                  url=db_url), "z.csv is a zip archive, not a CSV")
    (tmp_path / "wps.et").write_bytes(b"\xd0\xcf\x11\xe0")
    assert_one_line_error(run_cli("load", str(tmp_path / "wps.et"), "--crs", "gcj02",
                                  url=db_url), "wps.et is a WPS workbook", "save it as .xlsx")
    (tmp_path / "p.geojson.gz").write_bytes(gzip.compress(b"{}"))
    assert_one_line_error(run_cli("load", str(tmp_path / "p.geojson.gz"), "--crs", "gcj02",
                                  url=db_url), "only a CSV is read compressed")


def test_a_corrupt_gzip_is_one_line_even_after_the_server_failed_its_copy(tmp_path, db_url):
    """A .gz damaged in its middle decodes to garbage before its CRC fails at the end. The
    garbage reached the server, which failed the COPY, and psycopg, ending that COPY
    after the CRC error, logged a warning of two more lines ('error ignored terminating
    <psycopg.Copy>', 'CONTEXT: COPY staging, line ...'). The command's output is its one
    line."""
    import gzip

    from industry_clusters.demo.synth import check_digit

    # 5.7 MB of CSV: the garbage is sent to the server well before the end (with 3,000
    # rows it was still in psycopg's buffer when the CRC failed)
    codes = [f"91440604MA{i:07d}" for i in range(30_000)]
    big = write_csv(tmp_path / "big.csv", [row(统一社会信用代码=c + check_digit(c)) for c in codes])
    data = bytearray(gzip.compress(big.read_bytes(), mtime=0))
    middle = len(data) // 2
    data[middle:middle + 32] = bytes(32)
    (tmp_path / "bad.csv.gz").write_bytes(bytes(data))
    proc = subprocess.run([sys.executable, "-m", "industry_clusters", "--database-url", db_url,
                           "load", str(tmp_path / "bad.csv.gz"), "--crs", "gcj02"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines() == [proc.stderr.strip()], proc.stderr
    assert proc.stderr.startswith("Error: bad.csv.gz cannot be decompressed")


def test_nul_bytes_and_wrong_field_counts(tmp_path, db_url, conn):
    path = write_csv(tmp_path / "nul.csv", [row(), row(企业名称="有\x00空字符")])
    with open(path, "a", encoding="utf-8") as f:
        f.write("只有,三个,字段\n")
    res = load_file(db_url, path, crs="wgs84")
    counts = counts_add_up(conn, res.load_run_id)
    assert counts["by_reason"] == {"nul_byte": 1, "field_count": 1}
    raw = conn.execute("SELECT raw FROM registry.rejects WHERE reason='nul_byte'").fetchone()[0]
    assert raw["企业名称"] == "有\\x00空字符"


def test_xlsx(tmp_path, db_url, conn):
    import openpyxl

    from industry_clusters.demo.synth import HEADERS

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    rows = [row(), row(登记状态="注销")]
    for r in rows:
        values = [r[h] for h in HEADERS]
        values[HEADERS.index("经度")] = float(r["经度"])  # numbers as numbers
        ws.append(values)
    wb.save(tmp_path / "r.xlsx")
    res = load_file(db_url, tmp_path / "r.xlsx", crs="wgs84")
    assert counts_add_up(conn, res.load_run_id)["by_reason"] == {"status_inactive": 1}


def test_a_credit_code_a_spreadsheet_stored_as_a_number_says_so(tmp_path, db_url, conn):
    """A code of digits only (most codes of firms registered before 2015) typed into a
    spreadsheet becomes a number: Excel keeps 15 of its 18 digits and shows, and saves to
    CSV, 9.14406E+17. It cannot be recovered; the reject says what happened and what to
    do, where it said only "not a valid GB 32100 code"."""
    import openpyxl

    from industry_clusters.demo.synth import check_digit

    code = next(c for c in (f"914406047{n:08d}" + check_digit(f"914406047{n:08d}")
                            for n in range(100)) if c.isdigit())
    as_text, as_number = row(统一社会信用代码=code), row()
    wb = openpyxl.Workbook()
    wb.active.append(HEADERS)
    for r, c in ((as_text, code), (as_number, float(code))):
        wb.active.append([c if h == "统一社会信用代码" else r[h] for h in HEADERS])
    wb.save(tmp_path / "r.xlsx")
    saved = row(统一社会信用代码=f"{float(code):.5E}")  # as Excel shows it: 9.14406E+17
    other = row(统一社会信用代码="91440604MA4UKNOWN1")
    for path in (tmp_path / "r.xlsx", write_csv(tmp_path / "r.csv", [saved, other])):
        res = load_file(db_url, path, crs="wgs84", full_refresh=False)
        messages = [m for (m,) in conn.execute(
            "SELECT message FROM registry.rejects WHERE load_run_id = %s ORDER BY line_no",
            (res.load_run_id,))]
        assert "scientific notation" in messages[0] and "format the column as text" in messages[0]
        if path.suffix == ".csv":
            assert "not a valid GB 32100 code" in messages[1]
        else:
            assert len(messages) == 1 and enterprise(conn, code)["name"] == as_text["企业名称"]


def write_xls(path, rows: list[list], sheet: str = "企业", date_columns=(),
              more: dict[str, list[list]] | None = None, hidden=(), merges=()):
    """An Excel 97-2003 workbook (xlwt): numbers stay numbers, dates are date cells.
    ``more``: further sheets, by name; ``hidden``: the names of sheets to hide;
    ``merges``: ranges of the first sheet merged, (first row, last row, first column,
    last column, value), their cells left empty in ``rows``."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    dated = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for name, cells in {sheet: rows, **(more or {})}.items():
        ws = wb.add_sheet(name)
        ws.visibility = int(name in hidden)
        for i, values in enumerate(cells):
            for j, v in enumerate(values):
                if j in date_columns and i:
                    ws.write(i, j, v, dated)
                elif v != "":
                    ws.write(i, j, v)
        if name == sheet:
            for merge in merges:
                ws.write_merge(*merge)
    wb.save(str(path))
    return path


def test_xls_loads_as_its_csv_does(tmp_path, db_url, conn):
    """Many portals still export Excel 97-2003 workbooks. They were refused ("save it as
    .xlsx"), so a nightly job fed one needed a hand at every run. Cells typed as Excel
    types them (coordinates as numbers, the date as a date cell, TRUE/FALSE as a
    boolean) load as the same rows of a CSV do."""
    import datetime as dt

    rows = [row(), row(登记状态="注销"), row(注册资本=""), row(数字化转型="是")]
    plain = load_file(db_url, write_csv(tmp_path / "plain.csv", rows), crs="gcj02")
    expected = outcome(conn, plain.load_run_id)
    conn.execute("DELETE FROM registry.enterprises")
    conn.commit()
    typed = {"经度": float, "纬度": float,
             "成立日期": lambda v: dt.datetime.strptime(v, "%Y-%m-%d"),
             "数字化转型": lambda v: {"是": True, "否": False}[v]}
    cells = [HEADERS] + [[typed.get(h, str)(r[h]) for h in HEADERS] for r in rows]
    path = write_xls(tmp_path / "r.xls", cells, date_columns={HEADERS.index("成立日期")})
    r = run_cli("load", str(path), "--crs", "gcj02", url=db_url)
    assert r.exit_code == 0, r.output
    run = conn.execute("SELECT max(load_run_id) FROM registry.load_runs").fetchone()[0]
    assert conn.execute("SELECT format FROM registry.load_runs WHERE load_run_id = %s",
                        (run,)).fetchone()[0] == "xls"
    got_rejects, got = outcome(conn, run)
    # the raw rows keep the cells as read: the boolean as Excel's TRUE/FALSE text
    assert [(n, reason) for n, reason, *_ in got_rejects] == \
        [(n, reason) for n, reason, *_ in expected[0]]
    assert got == expected[1]


def test_xls_sheets_and_files_that_are_not_xls(tmp_path, db_url, conn):
    """A later sheet by --layer. An XLSX named .xls (portals do that) is read as what it
    is. An HTML table named .xls (portals do that too) or a damaged workbook: one line,
    saying what the file is and what to do."""
    r = row()
    cells = [HEADERS, [r[h] for h in HEADERS]]
    path = write_xls(tmp_path / "s.xls", cells, sheet="企业")
    assert_one_line_error(run_cli("load", str(path), "--crs", "wgs84", "--layer", "x",
                                  url=db_url), "s.xls has no sheet 'x'; sheets: 企业")
    res = load_file(db_url, path, crs="wgs84", layer="企业")
    assert res.counts["accepted"] == 1 and enterprise(conn, r["统一社会信用代码"])["active"]
    (tmp_path / "html.xls").write_text("<html><table><tr><td>企业名称</td></tr></table></html>",
                                       encoding="utf-8")
    assert_one_line_error(run_cli("load", str(tmp_path / "html.xls"), "--crs", "wgs84",
                                  url=db_url), "html.xls is not an Excel 97-2003 workbook",
                          "it is an HTML page", "save it as .xlsx or CSV")
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(HEADERS)
    wb.active.append([row()[h] for h in HEADERS])
    wb.save(tmp_path / "x.xls")
    r = run_cli("load", str(tmp_path / "x.xls"), "--crs", "wgs84", "--incremental",
                url=db_url)
    assert r.exit_code == 0 and "accepted 1," in r.output, r.output
    assert conn.execute("SELECT format FROM registry.load_runs ORDER BY load_run_id DESC "
                        "LIMIT 1").fetchone()[0] == "xlsx"
    # cut short: one line, and nothing on standard output (xlrd writes its warnings
    # there, "WARNING *** File is truncated", where cron mails them)
    data = path.read_bytes()
    (tmp_path / "cut.xls").write_bytes(data[:len(data) * 2 // 3])
    proc = subprocess.run([sys.executable, "-m", "industry_clusters", "--database-url", db_url,
                           "load", str(tmp_path / "cut.xls"), "--crs", "wgs84"],
                          capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout) == (1, ""), (proc.stdout, proc.stderr)
    one_line_error(proc.stderr, "cut.xls is not a readable Excel 97-2003 workbook",
                   "save it as .xlsx or CSV")


def write_workbook(path: Path, sheets: dict[str, list[list]], hidden=()) -> Path:
    """A workbook of these sheets, by name, in order: .xls (xlwt) or .xlsx (openpyxl);
    ``hidden``: the names of sheets to hide."""
    if path.suffix == ".xls":
        first = next(iter(sheets))
        return write_xls(path, sheets[first], sheet=first,
                         more={k: v for k, v in sheets.items() if k != first}, hidden=hidden)
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, cells in sheets.items():
        ws = wb.create_sheet(name)
        ws.sheet_state = "hidden" if name in hidden else "visible"
        for values in cells:
            ws.append(values)
    wb.save(path)
    return path


@pytest.mark.parametrize("ext", ["xls", "xlsx"])
def test_a_workbook_split_over_sheets_is_read_as_one_export(tmp_path, db_url, conn, ext):
    """An XLS sheet holds 65,536 rows, so portals split a larger export over sheets of one
    header (Sheet1, Sheet2 ...), often after a notes sheet. Only the first sheet was
    read: a full refresh marked every firm of the later sheets inactive, without a word.
    Now every sheet with the export's header is a part of it (rejects name their part,
    load_runs.parts and .layers the sheets); a sheet of another header is named as not
    read; --layer, repeated, picks sheets."""
    notes = [["说明：本表分为多个工作表"], ["数据来源：测试"]]
    one, two = [row(), row()], [row(), row(注册资本=""), row()]
    sheets = {"说明": notes, "Sheet1": [HEADERS] + [[r[h] for h in HEADERS] for r in one],
              "Sheet2": [HEADERS] + [[r[h] for h in HEADERS] for r in two], "Sheet3": [],
              "统计": [["所属区县", "国标行业", "企业数"], ["禅城区", "I6510", 5]]}
    path = write_workbook(tmp_path / f"split.{ext}", sheets)
    # every firm of both sheets is in the registry: a full refresh deactivates none
    load_file(db_url, write_csv(tmp_path / "all.csv", one + two), crs="wgs84")
    r = run_cli("load", str(path), "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0, r.output
    assert "accepted 4, rejected 1" in r.output and "deactivated 0" in r.output, r.output
    assert f"sheet '说明' of split.{ext} not read: no row of its first ones names known " \
           "columns, and they are not rows of sheet 'Sheet1' (rows of the export need the " \
           "header row of sheet 'Sheet1')" in r.output
    assert f"sheet '统计' of split.{ext} not read: its header is not that of sheet " \
           "'Sheet1' (--layer reads it)" in r.output
    run, parts, layers, not_read = conn.execute(
        "SELECT load_run_id, parts, layers, not_read FROM registry.load_runs "
        "ORDER BY load_run_id DESC LIMIT 1").fetchone()
    assert layers == ["Sheet1", "Sheet2"]
    # the rows of a sheet not read are neither accepted nor rejected: the load names it
    assert [(n["file"], n["sheet"]) for n in not_read] == [(str(path), "说明"),
                                                           (str(path), "统计")]
    assert [(p["part"], p["layer"], p["first_line"], p["records"]) for p in parts] == \
        [(1, "Sheet1", 1, 2), (2, "Sheet2", 3, 3)]
    assert conn.execute("SELECT part, line_no, reason FROM registry.rejects "
                        "WHERE load_run_id = %s", (run,)).fetchall() == \
        [(2, 2, "capital_irregular")]
    conn.commit()
    # the sheets asked for, in the order asked; a sheet of another header is refused
    picked = load_file(db_url, path, crs="wgs84", layer=["Sheet2"], full_refresh=False)
    assert picked.counts["read"] == 3
    both = load_file(db_url, path, crs="wgs84", layer=["Sheet2", "Sheet1"],
                     full_refresh=False)
    assert both.counts["read"] == 5 and both.not_read == []
    assert_one_line_error(run_cli("load", str(path), "--crs", "wgs84", "--layer", "Sheet1",
                                  "--layer", "说明", url=db_url),
                          f"split.{ext} (sheet '说明') is not a part of the same export as "
                          f"split.{ext} (sheet 'Sheet1')")
    assert_one_line_error(run_cli("load", str(path), "--crs", "wgs84", "--layer", "Sheet1",
                                  "--layer", "Sheet1", url=db_url), "names a layer twice")



def test_xlsx_merged_cells_and_uncalculated_formulas(tmp_path, db_url, conn):
    """A district merged over its firms' rows is held in the range's first cell only:
    the rows below read it as empty. A formula written by a program that does not
    calculate (openpyxl, report generators) has no value in the file: the cell read as
    empty, and the row was rejected for a missing capital. Merged ranges now read as
    Excel shows them; a row with an uncalculated formula is rejected as
    formula_not_calculated, naming the cell."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    rows = [row(所属区县="南海区"), row(所属区县=""), row(所属区县=""), row(所属区县="禅城区"),
            row()]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for r in rows:
        ws.append([r[h] for h in HEADERS])
    district = get_column_letter(HEADERS.index("所属区县") + 1)
    capital = get_column_letter(HEADERS.index("注册资本") + 1)
    ws.merge_cells(f"{district}2:{district}4")  # 南海区 over the first three firms
    ws[f"{capital}6"] = f"={capital}5"  # no cached value: openpyxl calculates nothing
    wb.save(tmp_path / "m.xlsx")
    res = load_file(db_url, tmp_path / "m.xlsx", crs="wgs84", full_refresh=False)
    assert (res.counts["accepted"], res.counts["rejected"]) == (4, 1)
    assert [enterprise(conn, r["统一社会信用代码"])["registered_district"] for r in rows[:4]] \
        == ["南海区", "南海区", "南海区", "禅城区"]
    assert conn.execute("SELECT line_no, reason, message FROM registry.rejects "
                        "WHERE load_run_id = %s", (res.load_run_id,)).fetchall() == [
        (5, "formula_not_calculated",
         f"cell {capital}6 is a formula whose value the file does not hold (a program that "
         "does not calculate formulas wrote it): open the file in Excel or WPS and save "
         "it, then load it")]


def test_xls_merged_cells_read_as_excel_shows_them(tmp_path, db_url, conn):
    """The same for an Excel 97-2003 workbook: xlrd lists a sheet's merged ranges only
    when it reads the cells' formatting, so a district merged over its firms' rows read
    as empty below the first, and those firms were loaded without one. A range across
    the columns of one row is left as it is."""
    rows = [row(所属区县="南海区"), row(所属区县=""), row(所属区县=""), row(所属区县="禅城区"),
            row(所属区县="", 经营范围="")]
    cells = [HEADERS] + [[r[h] for h in HEADERS] for r in rows]
    district, scope = HEADERS.index("所属区县"), HEADERS.index("经营范围")
    cells[1][district] = ""  # the merged range's value
    path = write_xls(tmp_path / "m.xls", cells, merges=[
        (1, 3, district, district, "南海区"),  # over the first three firms
        # across a row's columns: which column it belongs to is not known, it is not filled
        (5, 5, scope, district, "软件开发")])
    res = load_file(db_url, path, crs="wgs84", full_refresh=False)
    assert res.counts["accepted"] == 5, res.counts
    assert [enterprise(conn, r["统一社会信用代码"])["registered_district"] for r in rows] \
        == ["南海区", "南海区", "南海区", "禅城区", None]


@pytest.mark.parametrize("ext", ["xls", "xlsx"])
def test_hidden_sheets_are_not_read_unless_asked_for(tmp_path, db_url, conn, ext):
    """A hidden sheet of the export's header (an old copy, a lookup) was read as a part
    of the export: rows nobody looking at the workbook sees. It is now named as not read
    ("it is hidden"), and --layer reads it. An XLSX chart sheet (no cells) failed the
    load with "'Chartsheet' object has no attribute 'iter_rows'"; it is a blank sheet."""
    cells = lambda rows: [HEADERS] + [[r[h] for h in HEADERS] for r in rows]  # noqa: E731
    shown, old = [row(), row()], [row()]
    path = write_workbook(tmp_path / f"h.{ext}", {"名录": cells(shown), "旧": cells(old)},
                          hidden={"旧"})
    if ext == "xlsx":  # a chart of the data on a sheet of its own
        import openpyxl
        from openpyxl.chart import BarChart, Reference

        wb = openpyxl.load_workbook(path)
        chart = BarChart()
        chart.add_data(Reference(wb["名录"], min_col=1, min_row=1, max_row=3))
        wb.create_chartsheet("图表").add_chart(chart)
        wb.save(path)
    r = run_cli("load", str(path), "--crs", "wgs84", "--incremental", url=db_url)
    assert r.exit_code == 0, r.output
    assert "read 2, accepted 2" in r.output, r.output
    assert f"sheet '旧' of h.{ext} not read: it is hidden (--layer reads it)" in r.output
    assert conn.execute("SELECT layers, not_read FROM registry.load_runs ORDER BY "
                        "load_run_id DESC LIMIT 1").fetchone() == \
        (["名录"], [{"file": str(path), "sheet": "旧", "why": "it is hidden",
                   "hint": "--layer reads it"}])
    assert conn.execute("SELECT count(*) FROM registry.enterprises WHERE credit_code = %s",
                        (old[0]["统一社会信用代码"],)).fetchone()[0] == 0
    conn.commit()
    asked = load_file(db_url, path, crs="wgs84", layer="旧", full_refresh=False)
    assert asked.counts["accepted"] == 1 and asked.not_read == []
    # values on hidden sheets only: the load says where they are
    only = write_workbook(tmp_path / f"o.{ext}", {"空": [], "旧": cells(old)}, hidden={"旧"})
    assert_one_line_error(run_cli("load", str(only), "--crs", "wgs84", url=db_url),
                          f"o.{ext} has values on hidden sheets only (旧): name the sheet "
                          "to read with --layer")


@pytest.mark.parametrize("ext", ["xls", "xlsx"])
def test_a_sheet_without_a_header_row_is_read_when_its_rows_are_the_exports(
        tmp_path, db_url, conn, ext):
    """Some portals write the header on the first sheet only and continue the rows on
    the next sheets. Such a sheet was passed over as "no row names known columns", and
    a full refresh marked its firms inactive: at 65,536 rows a sheet of a 120,000-row
    export is under the 50% guard. A sheet whose first rows fit the export's columns and
    carry valid credit codes in its credit code column is now read with that header; a
    sheet whose rows do not (notes, a list without codes, wider rows) is still not."""
    cells = lambda rows: [[r[h] for h in HEADERS] for r in rows]  # noqa: E731
    one, two = [row(), row()], [row(), row(注册资本=""), row()]
    wide = [v + ["x"] for v in cells([row()])]
    invalid = cells([row(统一社会信用代码=credit_code(valid=False))])
    path = write_workbook(tmp_path / f"cont.{ext}", {
        "Sheet1": [HEADERS] + cells(one), "Sheet2": cells(two), "宽": wide,
        "编号": invalid, "说明": [["说明：第二页起无表头"]]})
    load_file(db_url, write_csv(tmp_path / "all.csv", one + two), crs="wgs84")
    r = run_cli("load", str(path), "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0, r.output
    assert "accepted 4, rejected 1" in r.output and "deactivated 0" in r.output, r.output
    assert f"cont.{ext} (sheet 'Sheet2') has no header row: read with that of " \
           f"cont.{ext} (sheet 'Sheet1')" in r.output
    run, parts, not_read = conn.execute(
        "SELECT load_run_id, parts, not_read FROM registry.load_runs "
        "ORDER BY load_run_id DESC LIMIT 1").fetchone()
    # the first row of the sheet is a record, not a header
    assert [(p["layer"], p.get("header_from"), p["first_line"], p["records"])
            for p in parts] == [("Sheet1", None, 1, 2), ("Sheet2", 1, 3, 3)]
    assert conn.execute("SELECT part, line_no, reason FROM registry.rejects "
                        "WHERE load_run_id = %s", (run,)).fetchall() == \
        [(2, 2, "capital_irregular")]
    assert all(enterprise(conn, x["统一社会信用代码"])["active"] for x in one + two[::2])
    assert [(n["sheet"], n["hint"]) for n in not_read] == \
        [(s, "rows of the export need the header row of sheet 'Sheet1'")
         for s in ("宽", "编号", "说明")]
    conn.commit()
    # asked for by --layer, the sheet is read the same way
    both = load_file(db_url, path, crs="wgs84", layer=["Sheet1", "Sheet2"],
                     full_refresh=False, force=True)
    assert both.counts["read"] == 5 and [s["part"] for s in both.headerless] == \
        [f"cont.{ext} (sheet 'Sheet2')"]
    assert_one_line_error(run_cli("load", str(path), "--crs", "wgs84", "--layer", "Sheet1",
                                  "--layer", "编号", url=db_url),
                          f"cont.{ext} (sheet '编号') is not a part of the same export as "
                          f"cont.{ext} (sheet 'Sheet1')")


TITLE = ["佛山市数字经济企业名录（2024年）", "数据来源：测试,,,"]


@pytest.mark.parametrize("fmt, encoding, parser", [("csv", "utf-8", "server"),
                                                   ("csv", "gb18030", "python"),
                                                   ("xlsx", None, "python")])
def test_title_lines_above_the_header(tmp_path, db_url, conn, fmt, encoding, parser):
    """The header is found below a title and a note (as exports often open); the rows
    load as from the plain file and the lines above are kept with the run."""
    import openpyxl

    rows = [row(), row(登记状态="注销"), row(注册资本="")]
    plain = load_file(db_url, write_csv(tmp_path / "plain.csv", rows), crs="gcj02")
    expected = outcome(conn, plain.load_run_id)
    conn.execute("DELETE FROM registry.enterprises")
    conn.commit()
    body = write_csv(tmp_path / "body.csv", rows)
    if fmt == "csv":
        path = tmp_path / "titled.csv"
        path.write_bytes("\n".join(TITLE + [""]).encode(encoding) +
                         body.read_text(encoding="utf-8").encode(encoding))
    else:
        path = tmp_path / "titled.xlsx"
        wb = openpyxl.Workbook()
        wb.active.append([TITLE[0]])
        wb.active.append(TITLE[1].split(","))
        for line in body.read_text(encoding="utf-8").splitlines():
            wb.active.append(line.split(","))
        wb.save(path)
    r = run_cli("load", str(path), "--crs", "gcj02", url=db_url)
    assert r.exit_code == 0, r.output
    assert f"2 {'rows' if fmt == 'xlsx' else 'lines'} above the header skipped" in r.output
    run = conn.execute("SELECT max(load_run_id) FROM registry.load_runs").fetchone()[0]
    assert parser_of(conn, run) == parser and outcome(conn, run) == expected
    preamble = conn.execute("SELECT preamble FROM registry.load_runs WHERE load_run_id = %s",
                            (run,)).fetchone()[0]
    assert [(p["part"], p["line"], p["text"].rstrip(",")) for p in preamble] == \
        [(None, 1, TITLE[0]), (None, 2, "数据来源：测试")]


def test_a_title_above_one_part(tmp_path, db_url, conn):
    """In an export in parts, each part may open with its title: the header is found in
    each, and the preamble names the part."""
    one = write_csv(tmp_path / "p1.csv", [row(), row()])
    body = write_csv(tmp_path / "body.csv", [row()]).read_text(encoding="utf-8")
    two = tmp_path / "p2.csv"
    two.write_text(TITLE[0] + "\n" + body, encoding="utf-8")
    res = load_file(db_url, [one, two], crs="gcj02")
    assert res.counts["accepted"] == 3 and res.preamble == 1
    assert conn.execute("SELECT preamble FROM registry.load_runs WHERE load_run_id = %s",
                        (res.load_run_id,)).fetchone()[0] == [
        {"part": 2, "line": 1, "text": TITLE[0]}]


def test_a_header_not_found_near_the_top_is_the_first_line(tmp_path, db_url, conn):
    """Beyond the first 10 lines, no header is looked for: the first line is taken, and
    the error lists it. A file whose header is its first line records no preamble."""
    body = write_csv(tmp_path / "body.csv", [row()]).read_text(encoding="utf-8")
    path = tmp_path / "deep.csv"
    path.write_text("".join(f"说明第{i}行\n" for i in range(10)) + body, encoding="utf-8")
    assert_one_line_error(run_cli("load", str(path), "--crs", "gcj02", url=db_url),
                          "required column", "headers found: 说明第0行")
    load_file(db_url, tmp_path / "body.csv", crs="gcj02")
    assert conn.execute("SELECT preamble FROM registry.load_runs WHERE status = 'succeeded'"
                        ).fetchone()[0] is None


def test_xlsx_sheet(tmp_path, db_url, conn):
    """The data on a later sheet (a blank cover sheet first) is found without --layer;
    --layer names a sheet, and the error for an empty one says so."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    ws = wb.create_sheet("企业")
    ws.append(HEADERS)
    r = row()
    ws.append([r[h] for h in HEADERS])
    wb.save(tmp_path / "s.xlsx")
    assert_one_line_error(run_cli("load", str(tmp_path / "s.xlsx"), "--crs", "wgs84",
                                  "--layer", "说明", url=db_url),
                          "sheet '说明' is empty: expected a header row")
    found = load_file(db_url, tmp_path / "s.xlsx", crs="wgs84", full_refresh=False)
    assert found.counts["accepted"] == 1 and found.not_read == []
    conn.execute("DELETE FROM registry.enterprises")
    conn.commit()
    assert_one_line_error(run_cli("load", str(tmp_path / "s.xlsx"), "--crs", "wgs84",
                                  "--layer", "x", url=db_url), "no sheet 'x'; sheets: 说明, 企业")
    # an encoding means nothing to a workbook: it was ignored without a word
    assert_one_line_error(run_cli("load", str(tmp_path / "s.xlsx"), "--crs", "wgs84",
                                  "--layer", "企业", "--encoding", "gb18030", url=db_url),
                          "--encoding is for a CSV; s.xlsx is XLSX", "leave --encoding out")
    res = load_file(db_url, tmp_path / "s.xlsx", crs="wgs84", layer="企业")
    assert res.counts["accepted"] == 1 and enterprise(conn, r["统一社会信用代码"])["active"]


@pytest.mark.parametrize("ext", ["geojson", "gpkg"])
def test_point_layers(tmp_path, db_url, conn, ext):
    import numpy as np
    import pyogrio
    import shapely

    rows = [row(), row(), row(注册资本="")]
    pts = shapely.points([[113.10, 23.03], [113.11, 23.04], [113.12, 23.05]])
    fields = ["企业名称", "统一社会信用代码", "登记状态", "注册资本", "国标行业"]
    data = [np.array([r[f] for r in rows], dtype=object) for f in fields]
    path = tmp_path / f"p.{ext}"
    pyogrio.raw.write(path, shapely.to_wkb(pts), data, fields, geometry_type="Point", crs="EPSG:4326",
                  driver="GeoJSON" if ext == "geojson" else "GPKG")
    res = load_file(db_url, path, crs="wgs84")
    assert counts_add_up(conn, res.load_run_id)["by_reason"] == {"capital_irregular": 1}
    e = enterprise(conn, rows[1]["统一社会信用代码"])
    assert (e["source_x"], e["source_y"]) == (113.11, 23.04)


def test_a_geojson_value_that_is_not_utf8_rejects_its_row(tmp_path, db_url, conn):
    """A name saved in GBK inside a UTF-8 GeoJSON reached the loader as bytes GDAL had
    not decoded: a UnicodeDecodeError traceback, nothing loaded. Now that row is
    rejected as bad_encoding (its bytes shown as \\xNN), as in a CSV, and the rest load."""
    import json

    rows = [row(), row(企业名称="佛山市南海区编码科技有限公司"), row()]
    fields = ["企业名称", "统一社会信用代码", "登记状态", "注册资本", "国标行业"]
    features = [{"type": "Feature", "properties": {f: r[f] for f in fields},
                 "geometry": {"type": "Point", "coordinates": [113.10 + i / 100, 23.03]}}
                for i, r in enumerate(rows)]
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    name = rows[1]["企业名称"]
    path = tmp_path / "mixed.geojson"
    path.write_bytes(text.encode().replace(name.encode(), name.encode("gbk")))
    res = load_file(db_url, path, crs="wgs84")
    assert counts_add_up(conn, res.load_run_id)["by_reason"] == {"bad_encoding": 1}
    assert reject_reasons(conn, res.load_run_id) == {
        rows[1]["统一社会信用代码"]: "bad_encoding"}
    raw = conn.execute("SELECT raw::text FROM registry.rejects WHERE load_run_id = %s",
                       (res.load_run_id,)).fetchone()[0]
    assert "\\\\x" in raw  # the GBK bytes, escaped
    assert enterprise(conn, rows[2]["统一社会信用代码"])["name"] == rows[2]["企业名称"]


@pytest.mark.parametrize("ext", ["geojson", "gpkg"])
def test_a_multipoint_of_one_point_is_that_point(tmp_path, db_url, conn, ext):
    """Layers exported as MultiPoint (ArcGIS, some converters) were accepted and every
    feature was rejected as coordinates_missing. One point is the location; several are
    none (the feature is rejected, as before)."""
    import numpy as np
    import pyogrio
    import shapely

    rows = [row(), row()]
    fields = ["企业名称", "统一社会信用代码", "登记状态", "注册资本", "国标行业"]
    data = [np.array([r[f] for r in rows], dtype=object) for f in fields]
    geoms = np.array([shapely.MultiPoint([(113.11, 23.04)]),
                      shapely.MultiPoint([(113.12, 23.05), (113.13, 23.06)])])
    path = tmp_path / f"mp.{ext}"
    pyogrio.raw.write(path, shapely.to_wkb(geoms), data, fields, geometry_type="MultiPoint",
                      crs="EPSG:4326", driver="GeoJSON" if ext == "geojson" else "GPKG")
    res = load_file(db_url, path, crs="wgs84")
    assert counts_add_up(conn, res.load_run_id)["by_reason"] == {"coordinates_missing": 1}
    e = enterprise(conn, rows[0]["统一社会信用代码"])
    assert (e["source_x"], e["source_y"]) == (113.11, 23.04)
    assert reject_reasons(conn, res.load_run_id) == {
        rows[1]["统一社会信用代码"]: "coordinates_missing"}


def reject_messages(conn, run_id: int) -> dict[str, str]:
    """credit code -> message, for each reject of the run."""
    return dict(conn.execute("SELECT credit_code, message FROM registry.rejects "
                             "WHERE load_run_id = %s", (run_id,)).fetchall())


def test_a_location_that_is_not_degrees_says_which_value_is_wrong(tmp_path, db_url, conn):
    """Both values "are not numbers" was said of any such pair, also of 1e+308, which is
    one: each value is now named with what is wrong with it."""
    rows = [row(经度="1e+308"), row(纬度="23°02′"), row(经度="", 纬度=""), row(纬度="")]
    res = load_file(db_url, write_csv(tmp_path / "c.csv", rows), crs="wgs84")
    assert set(reject_reasons(conn, res.load_run_id).values()) == {"coordinates_missing"}
    assert list(reject_messages(conn, res.load_run_id).values()) == [
        "longitude '1e+308' is not a decimal number of degrees (like 113.12)",
        "latitude '23°02′' is not a decimal number of degrees (like 23.02)",
        "no longitude and no latitude", "no latitude"]


def test_a_feature_that_is_no_point_is_rejected_saying_what_it_is(tmp_path, db_url, conn):
    """In a layer of points (GeoJSON may mix types), a feature whose geometry is no point
    was rejected with "longitude missing / latitude missing": its message says what the
    feature has instead. Where --map takes the location from columns, the geometry is
    not the location, and their message is about them."""
    rows = [row() for _ in range(5)]
    for r in rows:
        r["经度"], r["纬度"] = "", ""
    geoms = [{"type": "Point", "coordinates": [113.11, 23.04]},
             {"type": "Polygon", "coordinates": [[[113.2, 23.0], [113.3, 23.0], [113.3, 23.1],
                                                  [113.2, 23.0]]]},
             {"type": "MultiPoint", "coordinates": [[113.2, 23.0], [113.3, 23.0]]},
             None,
             {"type": "GeometryCollection", "geometries": []}]
    path = write_geojson(tmp_path / "mixed.geojson", rows, geoms)
    res = load_file(db_url, path, crs="wgs84")
    codes = [r["统一社会信用代码"] for r in rows]
    assert reject_messages(conn, res.load_run_id) == {
        codes[1]: "the feature's geometry is a Polygon, not a point",
        codes[2]: "the feature's geometry is a MultiPoint of 2 points, not one point",
        codes[3]: "the feature has no geometry",
        codes[4]: "the feature's geometry is an empty GeometryCollection"}
    res = load_file(db_url, path, crs="wgs84", mapping={"lon": "经度", "lat": "纬度"},
                    force=True)
    assert set(reject_messages(conn, res.load_run_id).values()) == {
        "no longitude and no latitude"}


def test_a_feature_whose_geometry_geos_cannot_read_is_rejected(tmp_path, db_url, conn):
    """A polygon whose ring is not closed, in a layer of points: GDAL passes it on (with a
    warning), and reading it raised GEOSException ("Points of LinearRing do not form a
    closed linestring"): a traceback, nothing loaded. It is no location: its row is
    rejected as coordinates_missing, the others load."""
    rows = [row(), row()]
    for r in rows:
        del r["经度"], r["纬度"]
    geoms = [{"type": "Point", "coordinates": [113.11, 23.04]},
             {"type": "Polygon", "coordinates": [[[113.2, 23.0], [113.3, 23.0], [113.3, 23.1]]]}]
    path = write_geojson(tmp_path / "points.geojson", rows, geoms)
    r = run_cli("load", str(path), "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0, (r.output, r.exception)
    assert "Warning: Non closed ring detected" in r.output
    res = conn.execute("SELECT max(load_run_id) FROM registry.load_runs").fetchone()[0]
    assert reject_reasons(conn, res) == {rows[1]["统一社会信用代码"]: "coordinates_missing"}
    assert reject_messages(conn, res) == {rows[1]["统一社会信用代码"]:
                                          "the feature's geometry cannot be read (GEOS "
                                          "refuses its WKB)"}
    assert enterprise(conn, rows[0]["统一社会信用代码"])["source_x"] == 113.11


def test_a_curve_in_a_layer_of_points_is_rejected(tmp_path, db_url, conn):
    """A GeoPackage may hold true curves (ArcGIS writes them; GDAL passes them on), which
    shapely cannot read: NotImplementedError ("Nonlinear geometry types are not currently
    supported"), a traceback, and nothing loaded. Such a feature is no location: it is
    rejected, saying what it is, and the other features load."""
    import struct

    import numpy as np
    import pyogrio
    import shapely

    def curve(code: int, n: int = 3) -> bytes:  # ISO WKB, little-endian
        return struct.pack("<BII", 1, code, n) + struct.pack(
            f"<{2 * n}d", *[v for i in range(n) for v in (113.1 + i / 100, 23.0)])

    rows = [row() for _ in range(4)]
    fields = ["企业名称", "统一社会信用代码", "登记状态", "注册资本", "国标行业"]
    data = [np.array([r[f] for r in rows], dtype=object) for f in fields]
    wkbs = np.array([shapely.to_wkb(shapely.Point(113.11, 23.04)),
                     curve(8),  # CircularString
                     struct.pack("<BII", 1, 9, 1) + curve(8),  # CompoundCurve of one arc
                     struct.pack(">BI", 0, 0x80000000 | 8) + b"\0" * 4],  # EWKB Z, empty
                    dtype=object)
    path = tmp_path / "curves.gpkg"
    pyogrio.raw.write(path, wkbs, data, fields, geometry_type="Unknown", crs="EPSG:4326",
                      driver="GPKG")
    res = load_file(db_url, path, crs="wgs84")
    codes = [r["统一社会信用代码"] for r in rows]
    assert enterprise(conn, codes[0])["source_x"] == 113.11
    messages = reject_messages(conn, res.load_run_id)
    assert set(reject_reasons(conn, res.load_run_id).values()) == {"coordinates_missing"}
    assert messages[codes[1]] == "the feature's geometry is a CircularString, not a point"
    assert messages[codes[2]] == "the feature's geometry is a CompoundCurve, not a point"
    assert messages[codes[3]] == messages[codes[1]]  # Z (GDAL writes ISO 1008), empty


def test_a_point_layer_in_a_projected_crs_is_unprojected(tmp_path, db_url, conn):
    """A layer of enterprise points in CGCS2000 / Gauss-Kruger (EPSG:4547), in Web
    Mercator, or in a grid given only as WKT, was refused ("reproject it first"). Its
    points are unprojected now (PROJ, through pyproj), and --crs reads the degrees
    underneath: each enterprise lies where the same layer in longitude/latitude puts it.
    The points are projected here by PostGIS, another build of PROJ. The run records the
    CRS; a point PROJ cannot unproject is rejected alone, saying so; a CRS PROJ cannot
    unproject from is refused before anything is read."""
    import numpy as np
    import pyogrio
    import shapely

    tm = ('PROJCS["tm",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,'
          '298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],'
          'PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],'
          'PARAMETER["central_meridian",113],PARAMETER["scale_factor",1],'
          'PARAMETER["false_easting",400000],PARAMETER["false_northing",0],UNIT["metre",1]]')
    fields = ["企业名称", "统一社会信用代码", "登记状态", "注册资本", "国标行业"]
    rows = [row() for _ in range(3)]
    degrees = [(113.10, 23.03), (113.11, 23.04), (113.12, 23.05)]

    def layer(name: str, crs: str, xy: list, extra: dict | None = None):
        names = fields + list(extra or {})
        data = [np.array([r[f] for r in rows[:len(xy)]], dtype=object) for f in fields] + [
            np.array(v, dtype=object) for v in (extra or {}).values()]
        pyogrio.raw.write(tmp_path / name, shapely.to_wkb(shapely.points(xy)), data, names,
                          geometry_type="Point", crs=crs, driver="GPKG")
        return tmp_path / name

    def projected(to: int | str, points: list) -> list:
        return [conn.execute("SELECT ST_X(g), ST_Y(g) FROM ST_Transform(ST_SetSRID("
                             "ST_Point(%s, %s), 4326), %s) AS g" if isinstance(to, int) else
                             "SELECT ST_X(g), ST_Y(g) FROM ST_Transform(ST_SetSRID("
                             "ST_Point(%s, %s), 4326), %s::text) AS g", (*p, to)).fetchone()
                for p in points]

    def loaded(path: Path, crs: str, *args: str) -> tuple[str, list]:
        r = run_cli("load", str(path), "--crs", crs, *args, url=db_url)
        assert r.exit_code == 0, r.output
        return r.output, [conn.execute(
            "SELECT source_x, source_y, ST_X(geom), ST_Y(geom) FROM registry.enterprises "
            "WHERE credit_code = %s", (x["统一社会信用代码"],)).fetchone() for x in rows]

    def near(a: list, b: list) -> bool:  # a millimetre's worth of degrees
        return all(p is not None and q is not None and
                   all(abs(u - v) < 1e-8 for u, v in zip(p, q, strict=True))
                   for p, q in zip(a, b, strict=True))

    refs = {crs: loaded(layer(f"degrees_{crs}.gpkg", "EPSG:4490", degrees), crs)[1]
            for crs in ("cgcs2000", "gcj02")}
    assert not near(refs["cgcs2000"], refs["gcj02"])  # GCJ-02 is shifted: could fail
    for name, to, crs, said, ref in (
            ("gk.gpkg", 4547, "EPSG:4547", "EPSG:4547, a projected CRS", "cgcs2000"),
            ("mercator.gpkg", 3857, "EPSG:3857", "EPSG:3857, a projected CRS", "gcj02"),
            ("tm.gpkg", tm, tm, 'the projected CRS "tm"', "cgcs2000")):
        out, got = loaded(layer(name, crs, projected(to, degrees)), ref, "--force")
        assert f"its points unprojected from {said}" in out, out
        assert near(got, refs[ref]), (name, got, refs[ref])
        layer_crs, = conn.execute("SELECT layer_crs FROM registry.load_runs "
                                  "ORDER BY load_run_id DESC LIMIT 1").fetchone()
        assert layer_crs == crs or to == tm and '"tm"' in layer_crs, layer_crs

    # a point off the projection's domain: rejected alone, the others loaded; a row
    # rejected for another reason gives its point back in degrees (the rejects file)
    off = projected(4547, degrees[:2]) + [(1e12, 1e12)]
    rows[0] = {**rows[0], "企业名称": ""}
    r = run_cli("load", str(layer("off.gpkg", "EPSG:4547", off)), "--crs", "cgcs2000",
                "--incremental", url=db_url)
    assert r.exit_code == 0 and "accepted 1, rejected 2" in r.output, r.output
    (nameless, raw), (message, _) = conn.execute(
        "SELECT message, raw FROM registry.rejects WHERE load_run_id = (SELECT "
        "max(load_run_id) FROM registry.load_runs) ORDER BY line_no").fetchall()
    assert nameless == "no enterprise name" and near(
        [(float(raw["geometry_lon"]), float(raw["geometry_lat"]))], [degrees[0]]), raw
    assert message == ("PROJ cannot unproject the feature's point (1000000000000.0, "
                       "1000000000000.0) to longitude/latitude: it lies outside the domain of "
                       "EPSG:4547, a projected CRS"), message

    # two layers of one export, one in Gauss-Kruger, one in degrees: each part's CRS
    both = tmp_path / "both.gpkg"
    for name, crs, xy, part in (("gk", "EPSG:4547", projected(4547, degrees[1:2]), rows[1:2]),
                                ("geo", "EPSG:4490", degrees[2:], rows[2:])):
        pyogrio.raw.write(both, shapely.to_wkb(shapely.points(xy)),
                          [np.array([r[f] for r in part], dtype=object) for f in fields],
                          fields, geometry_type="Point", crs=crs, driver="GPKG", layer=name,
                          append=name == "geo")
    out, got = loaded(both, "cgcs2000", "--layer", "gk", "--layer", "geo", "--incremental")
    assert near(got[1:], refs["cgcs2000"][1:]), (out, got)
    assert "; the points of both.gpkg (layer 'gk') unprojected from EPSG:4547, a projected " \
        "CRS; " in out and out.count("unprojected") == 1, out
    layer_crs, parts = conn.execute("SELECT layer_crs, parts FROM registry.load_runs "
                                    "ORDER BY load_run_id DESC LIMIT 1").fetchone()
    assert layer_crs is None and [p.get("layer_crs") for p in parts] == ["EPSG:4547", None]

    # a CRS PROJ cannot unproject from: refused before a run is started
    runs = conn.execute("SELECT count(*) FROM registry.load_runs").fetchone()[0]
    mars = layer("mars.gpkg", "IAU_2015:49910", [(1000.0, 1000.0)])
    assert_one_line_error(run_cli("load", str(mars), "--crs", "wgs84", url=db_url),
                          'mars.gpkg is in the projected CRS "Mars (2015)',
                          "which PROJ cannot unproject", "celestial body",
                          "reproject it to longitude/latitude")
    assert conn.execute("SELECT count(*) FROM registry.load_runs").fetchone()[0] == runs

    # columns that hold longitude/latitude still load with --map, nothing unprojected
    path = layer("cols.gpkg", "EPSG:4547", projected(4547, degrees),
                 {"经度": ["113.13", "113.14", "113.15"], "纬度": ["23.05", "23.06", "23.07"]})
    out, got = loaded(path, "cgcs2000", "--map", "lon=经度", "--map", "lat=纬度")
    assert "unprojected" not in out and got[1][:2] == (113.14, 23.06), (out, got)
    assert conn.execute("SELECT layer_crs FROM registry.load_runs ORDER BY load_run_id DESC "
                        "LIMIT 1").fetchone()[0] is None


# A transverse Mercator given as a proj string (no EPSG code): PostGIS unprojects it from
# the text, as it does a city's own grid.
TM = "+proj=tmerc +lat_0=0 +lon_0=113 +k=1 +x_0=400000 +y_0=0 +ellps=WGS84 +units=m +no_defs"


def test_district_boundaries_in_a_projected_crs_are_unprojected(tmp_path, db_url, conn):
    """A surveying office hands district boundaries out in CGCS2000 / 3-degree
    Gauss-Kruger (EPSG:4547 at Foshan), and an Amap layer may be saved in Web Mercator.
    Both were refused ("reproject it first"). PostGIS unprojects them now, and --crs reads
    the degrees underneath: each boundary lies where the same layer in longitude/latitude
    puts it. The load run records the layer's CRS; a feature PROJ cannot unproject is
    rejected alone; a CRS PostGIS cannot unproject from is refused, the boundaries kept."""
    import numpy as np
    import pyogrio
    import shapely

    x0, y0 = conn.execute("SELECT region_xmin + 0.3, region_ymin + 0.3 "
                          "FROM registry.settings").fetchone()
    degrees = [shapely.segmentize(shapely.box(x0 + i * 0.1, y0, x0 + i * 0.1 + 0.1, y0 + 0.1),
                                  0.01).wkt for i in range(2)]

    def write(name: str, to: str | int | None, crs: str, extra: bytes | None = None) -> str:
        wkbs = [conn.execute("SELECT ST_AsBinary(ST_Transform(ST_GeomFromText(%s, 4326), %s))"
                             if isinstance(to, int) else
                             "SELECT ST_AsBinary(ST_Transform(ST_GeomFromText(%s, 4326), "
                             "%s::text))", (g, to)).fetchone()[0] if to else
                shapely.to_wkb(shapely.from_wkt(g)) for g in degrees]
        path = tmp_path / name
        codes = ["440604", "440605", "440606"][:len(wkbs) + bool(extra)]
        pyogrio.raw.write(path, np.array(wkbs + ([extra] if extra else []), dtype=object),
                          [np.array(codes, dtype=object)] * 2, ["name", "adcode"],
                          geometry_type="Polygon", crs=crs, driver="GPKG")
        return str(path)

    def loaded(path: str, crs: str) -> list:
        r = run_cli("load-districts", path, "--crs", crs, url=db_url)
        assert r.exit_code == 0, r.output
        return conn.execute("SELECT code, geom FROM registry.districts ORDER BY code").fetchall()

    def same(a: list, b: list) -> bool:  # within a millionth of a metre's worth of degrees
        return [c for c, _ in a] == [c for c, _ in b] and all(conn.execute(
            "SELECT ST_HausdorffDistance(%s::geometry, %s::geometry) < 1e-11",
            (g, h)).fetchone()[0] for (_, g), (_, h) in zip(a, b, strict=True))

    refs = {crs: loaded(write(f"degrees_{crs}.gpkg", None, "EPSG:4326"), crs)
            for crs in ("cgcs2000", "gcj02")}
    assert not same(refs["cgcs2000"], refs["gcj02"])  # GCJ-02 is shifted: could fail
    outside = shapely.to_wkb(shapely.box(1e10, 0, 1e10 + 1000, 1000))
    for name, to, crs, said, ref in (
            ("gk.gpkg", 4547, "EPSG:4547", "EPSG:4547, a projected CRS", "cgcs2000"),
            ("mercator.gpkg", 3857, "EPSG:3857", "EPSG:3857, a projected CRS", "gcj02"),
            ("tm.gpkg", TM, TM, "a projected CRS", "cgcs2000")):
        path = write(name, to, crs, extra=outside if to == 4547 else None)
        r = run_cli("load-districts", path, "--crs", ref, url=db_url)
        assert r.exit_code == 0 and f"unprojected from {said}" in r.output, r.output
        got = conn.execute("SELECT code, geom FROM registry.districts ORDER BY code").fetchall()
        assert same(got, refs[ref]), name
        layer_crs, run = conn.execute("SELECT layer_crs, load_run_id FROM registry.load_runs "
                                      "ORDER BY load_run_id DESC LIMIT 1").fetchone()
        assert layer_crs == crs or to == TM and "Transverse_Mercator" in layer_crs, layer_crs
        if to == 4547:  # the feature off the projection's domain, alone
            assert "1 rejected" in r.output and "geometry_invalid" in r.output, r.output
            (row, message), = conn.execute("SELECT file_row, message FROM registry.rejects "
                                           "WHERE load_run_id = %s", (run,)).fetchall()
            assert row == 3 and message.startswith(
                "district feature 3: PostGIS cannot unproject it from the layer's CRS (x "
                "10000000000 to"), message

    runs = conn.execute("SELECT count(*) FROM registry.load_runs").fetchone()[0]
    mars = tmp_path / "mars.gpkg"
    pyogrio.raw.write(mars, shapely.to_wkb(np.array([shapely.box(0, 0, 1000, 1000)])),
                      [np.array(["440604"], dtype=object)] * 2, ["name", "adcode"],
                      geometry_type="Polygon", crs="IAU_2015:49910", driver="GPKG")
    assert_one_line_error(run_cli("load-districts", str(mars), "--crs", "wgs84", url=db_url),
                          'mars.gpkg is in the projected CRS "Mars (2015)',
                          "which PostGIS cannot unproject", "reproject it to longitude/latitude")
    assert conn.execute("SELECT count(*) FROM registry.load_runs").fetchone()[0] == runs
    assert same(conn.execute("SELECT code, geom FROM registry.districts ORDER BY code")
                .fetchall(), refs["cgcs2000"])


@pytest.mark.parametrize("part_vertices", [None, 12])
def test_a_projected_layers_boundaries_unprojected_at_once_keep_their_features(
        tmp_path, db_url, conn, part_vertices):
    """A projected layer's boundaries are unprojected a part of the layer at a time
    (collected, then dumped back to their features): each feature gets its own parts
    back, also where a feature before it is no polygon, a MultiPolygon has several parts
    and holes, or a collection keeps its polygon only. Each boundary lies where the same
    layer in longitude/latitude puts it. In parts of 12 vertices (the default is a
    million), a feature PROJ cannot unproject is rejected alone, the rest of its part
    unprojected one by one and the parts after it together."""
    import numpy as np
    import pyogrio
    import shapely

    x0, y0 = conn.execute("SELECT region_xmin + 0.3, region_ymin + 0.3 "
                          "FROM registry.settings").fetchone()
    if part_vertices:
        conn.execute("CREATE OR REPLACE FUNCTION registry.unproject_part_vertices() "
                     f"RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT {part_vertices}'")
        conn.commit()

    def box(i: int, j: int = 0):
        return shapely.box(x0 + i * 0.05, y0 + j * 0.05, x0 + i * 0.05 + 0.04,
                           y0 + j * 0.05 + 0.04)

    holed = shapely.Polygon(box(0).exterior.coords, [box(0).buffer(-0.01).exterior.coords])
    # each feature and the (parts, rings) it loads with; None: rejected
    features = [(shapely.MultiPolygon([holed, box(0, 1), box(0, 2)]), (3, 4)),  # 20 vertices
                (shapely.Point(x0, y0), None),  # no polygon: the others keep theirs
                (box(1), (1, 1)),  # 5: the second part of 12 from here
                ("outside", None),  # outside the projection's domain (and not degrees)
                (shapely.GeometryCollection([box(2), shapely.LineString([(x0, y0), (x0, 0)])]),
                 (1, 1)),
                (shapely.MultiPolygon([box(3), box(3, 1)]), (2, 2))]  # the third part
    if not part_vertices:
        del features[3]
    codes = np.array([f"44060{i}" for i in range(len(features))], dtype=object)
    expected = {c: shape for c, (_, shape) in zip(codes, features, strict=True) if shape}
    outside = shapely.to_wkb(shapely.box(1e10, 0, 1e10 + 1000, 1000))

    def load(name: str, to: str | None) -> dict:
        wkbs = [outside if g == "outside" else
                conn.execute("SELECT ST_AsBinary(ST_Transform(ST_GeomFromText(%s, 4326), "
                             "%s::text))", (g.wkt, to)).fetchone()[0] if to else
                shapely.to_wkb(g) for g, _ in features]
        path = tmp_path / name
        pyogrio.raw.write(path, np.array(wkbs, dtype=object), [codes, codes],
                          ["name", "adcode"], geometry_type="Unknown",
                          crs=to or "EPSG:4326", driver="GPKG")
        r = run_cli("load-districts", str(path), "--crs", "cgcs2000", url=db_url)
        assert r.exit_code == 0, r.output
        assert f"{len(features) - len(expected)} rejected" in r.output, r.output
        return dict(conn.execute("SELECT code, geom FROM registry.districts").fetchall())

    ref, got = load("degrees.gpkg", None), load("tm.gpkg", TM)
    assert sorted(got) == sorted(ref) == sorted(expected)
    if part_vertices:
        assert conn.execute("SELECT message FROM registry.rejects WHERE load_run_id = (SELECT "
                            "max(load_run_id) FROM registry.load_runs) AND line_no = 4"
                            ).fetchone()[0].startswith(
            "district feature 4: PostGIS cannot unproject it from the layer's CRS")
    for code, g in got.items():
        parts, rings, apart = conn.execute(
            "SELECT ST_NumGeometries(%(g)s::geometry), ST_NRings(%(g)s::geometry), "
            "ST_HausdorffDistance(%(g)s::geometry, %(r)s::geometry) FROM (SELECT) x",
            {"g": g, "r": ref[code]}).fetchone()
        assert apart < 1e-11, (code, apart)
        assert (parts, rings) == expected[code], code


@pytest.mark.parametrize("ext", ["geojson", "gpkg"])
def test_point_layers_in_many_batches_with_typed_columns(tmp_path, db_url, conn, ext,
                                                         monkeypatch):
    """A layer is read in one pass, in batches: every feature once, whatever the batch
    size. Typed columns read as their text would: a date column as the date, a number
    of capital as the number (in the default unit), a boolean as the flag."""
    import numpy as np
    import pyogrio
    import shapely

    import industry_clusters.load.readers as readers

    rows = [row() for _ in range(23)]
    text = ["企业名称", "统一社会信用代码", "登记状态", "国标行业"]
    data = [np.array([r[f] for r in rows], dtype=object) for f in text]
    data += [np.array(["2015-03-12"] * 23, dtype="datetime64[D]"),
             np.array([100.0] * 22 + [250.5]), np.array([True] * 23)]
    pts = shapely.points([[113.10 + i / 1000, 23.03] for i in range(23)])
    path = tmp_path / f"typed.{ext}"
    pyogrio.raw.write(path, shapely.to_wkb(pts), data, [*text, "成立日期", "注册资本", "数字化转型"],
                      geometry_type="Point", crs="EPSG:4326",
                      driver="GeoJSON" if ext == "geojson" else "GPKG")
    monkeypatch.setattr(readers, "OGR_BATCH", 5)
    res = load_file(db_url, path, crs="wgs84")
    assert res.counts["accepted"] == 23, counts_add_up(conn, res.load_run_id)
    typed = enterprise(conn, rows[22]["统一社会信用代码"])
    plain = row(成立日期="2015-03-12", 注册资本="250.5", 数字化转型="true")
    conn.commit()
    load_file(db_url, write_csv(tmp_path / "plain.csv", [plain]), crs="wgs84",
              full_refresh=False)
    expected = enterprise(conn, plain["统一社会信用代码"])
    for column in ("established", "capital_cny", "digital_transformation"):
        assert typed[column] == expected[column], column
    assert typed["established"].isoformat() == "2015-03-12"
    assert [enterprise(conn, r["统一社会信用代码"])["source_x"] for r in rows] == \
        pytest.approx([113.10 + i / 1000 for i in range(23)], abs=1e-9)


def test_a_layers_point_is_its_location_over_coordinate_columns(tmp_path, db_url, conn):
    """A layer made from a CSV keeps its 经度/纬度 columns; GIS staff then move points in
    QGIS, and the columns go stale. The point is the location (the columns won until
    2026-11-25, against the README); --map still takes the columns."""
    import numpy as np
    import pyogrio
    import shapely

    rows = [row(经度="113.114", 纬度="23.03")]
    fields = ["企业名称", "统一社会信用代码", "登记状态", "注册资本", "国标行业", "经度", "纬度"]
    data = [np.array([r[f] for r in rows], dtype=object) for f in fields]
    path = tmp_path / "moved.gpkg"
    pyogrio.raw.write(path, shapely.to_wkb(shapely.points([[113.2, 23.1]])), data, fields,
                      geometry_type="Point", crs="EPSG:4326", driver="GPKG")
    code = rows[0]["统一社会信用代码"]
    res = load_file(db_url, path, crs="wgs84")
    located = enterprise(conn, code)
    assert (located["source_x"], located["source_y"]) == (113.2, 23.1)
    assert conn.execute("SELECT mapping->>'lon' FROM registry.load_runs WHERE "
                        "load_run_id = %s", (res.load_run_id,)).fetchone()[0] == "geometry_lon"
    conn.commit()
    load_file(db_url, path, crs="wgs84", force=True, mapping={"lon": "经度", "lat": "纬度"})
    located = enterprise(conn, code)
    assert (located["source_x"], located["source_y"]) == (113.114, 23.03)


def test_a_damaged_geopackage_fails_its_load_instead_of_loading_part(tmp_path, db_url, conn):
    """GDAL's GeoPackage stream ends without an error at a damaged page: the load took the
    features before it as the whole file. Now the count GDAL reports for the layer must
    be reached, or the load fails and the registry keeps what it had."""
    import numpy as np
    import pyogrio
    import shapely

    rows = [row() for _ in range(500)]
    fields = ["企业名称", "统一社会信用代码", "登记状态", "注册资本", "国标行业"]
    data = [np.array([r[f] for r in rows], dtype=object) for f in fields]
    path = tmp_path / "damaged.gpkg"
    pyogrio.raw.write(path, shapely.to_wkb(shapely.points(
        [[113.10 + i / 1e5, 23.03] for i in range(500)])), data, fields,
        geometry_type="Point", crs="EPSG:4326", driver="GPKG")
    image = bytearray(path.read_bytes())
    page_size = int.from_bytes(image[16:18], "big")  # the SQLite header's page size
    page = image.index(rows[300]["统一社会信用代码"].encode()) // page_size * page_size
    image[page:page + page_size] = b"\xff" * page_size  # the page holding feature 300
    path.write_bytes(bytes(image))
    read = 0
    with pyogrio.raw.open_arrow(path, use_pyarrow=True) as (_, reader):
        read = sum(batch.num_rows for batch in reader)
    assert 0 < read < 500  # GDAL's own stream: cut short, without an error

    assert_one_line_error(run_cli("load", str(path), "--crs", "wgs84", url=db_url),
                          f"GDAL read {read:,} of the 500 features", "then failed (",
                          "database disk image is malformed", "the file is damaged")
    assert conn.execute("SELECT status FROM registry.load_runs ORDER BY load_run_id DESC "
                        "LIMIT 1").fetchone()[0] == "failed"
    assert conn.execute("SELECT count(*) FROM registry.enterprises WHERE credit_code = %s",
                        (rows[0]["统一社会信用代码"],)).fetchone()[0] == 0


def test_a_geopackage_with_a_stale_feature_count_loads(tmp_path, db_url, conn):
    """The count GDAL gives for a GeoPackage layer is the one stored in gpkg_ogr_contents,
    which another tool may have left stale. The features are then counted again, and the
    load goes on when the stream read them all."""
    import sqlite3

    import numpy as np
    import pyogrio
    import shapely

    rows = [row() for _ in range(3)]
    fields = ["企业名称", "统一社会信用代码", "登记状态", "注册资本", "国标行业"]
    data = [np.array([r[f] for r in rows], dtype=object) for f in fields]
    path = tmp_path / "stale.gpkg"
    pyogrio.raw.write(path, shapely.to_wkb(shapely.points([[113.10 + i / 100, 23.03]
                                                           for i in range(3)])),
                      data, fields, geometry_type="Point", crs="EPSG:4326", driver="GPKG")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE gpkg_ogr_contents SET feature_count = 7")
    assert pyogrio.read_info(path)["features"] == 7
    res = load_file(db_url, path, crs="wgs84")
    assert counts_add_up(conn, res.load_run_id)["accepted"] == 3


def test_the_enterprise_layer_of_a_geopackage(tmp_path, db_url, conn):
    """Beside other layers, the only point layer is read (GDAL's first layer was, with a
    warning); several point layers need --layer; a table of coordinates loads too."""
    import numpy as np
    import pyogrio
    import shapely

    rows = [row(), row()]
    fields = ["企业名称", "统一社会信用代码", "登记状态", "注册资本", "国标行业"]
    data = [np.array([r[f] for r in rows], dtype=object) for f in fields]
    path = tmp_path / "many.gpkg"
    pyogrio.raw.write(path, shapely.to_wkb(np.array([shapely.box(113, 23, 113.1, 23.1)])),
                      [np.array(["x"], dtype=object)], ["label"], layer="areas",
                      geometry_type="Polygon", crs="EPSG:4326", driver="GPKG")
    pyogrio.raw.write(path, shapely.to_wkb(shapely.points([[113.10, 23.03], [113.11, 23.04]])),
                      data, fields, layer="firms", geometry_type="Point", crs="EPSG:4326",
                      driver="GPKG", append=True)
    res = load_file(db_url, path, crs="wgs84")
    assert res.counts["accepted"] == 2
    assert enterprise(conn, rows[1]["统一社会信用代码"])["source_x"] == 113.11
    conn.commit()
    more = [row()]
    table = [np.array([r[f] for r in more], dtype=object) for f in fields] + [
        np.array(["113.2"], dtype=object), np.array(["23.1"], dtype=object)]
    pyogrio.raw.write(path, None, table, [*fields, "经度", "纬度"], layer="firm_table",
                      driver="GPKG", append=True)
    pyogrio.raw.write(path, shapely.to_wkb(shapely.points([[113.12, 23.05]])),
                      [d[:1] for d in data], fields, layer="firms_copy", geometry_type="Point",
                      crs="EPSG:4326", driver="GPKG", append=True)
    assert_one_line_error(run_cli("load", str(path), "--crs", "wgs84", url=db_url),
                          "has 4 layers; pass --layer", "point layers: firms, firms_copy")
    assert_one_line_error(run_cli("load", str(path), "--crs", "wgs84", "--layer", "areas",
                                  url=db_url), "holds Polygon geometries")
    r = run_cli("load", str(path), "--crs", "wgs84", "--layer", "firm_table", "--incremental",
                url=db_url)
    assert r.exit_code == 0, r.output
    assert enterprise(conn, more[0]["统一社会信用代码"])["source_x"] == 113.2


# -- coordinate systems ----------------------------------------------------------------
def _points(n=40):
    import random

    rnd = random.Random(7)
    return [(112.4 + rnd.random() * 0.9, 22.65 + rnd.random() * 0.9) for _ in range(n)]


def test_gcj02_against_an_independent_implementation(conn):
    import eviltransform

    pts = _points()
    gcj = [eviltransform.wgs2gcj(lat, lon)[::-1] for lon, lat in pts]
    got = conn.execute(
        "SELECT array_agg(ST_Distance(publish.to_wgs84(x, y, 'gcj02')::geography, "
        "ST_SetSRID(ST_MakePoint(wx, wy), 4326)::geography) ORDER BY o), "
        "array_agg(ST_Distance(publish.wgs84_to_gcj02(ST_SetSRID(ST_MakePoint(wx, wy), 4326))"
        "::geography, ST_SetSRID(ST_MakePoint(x, y), 4326)::geography) ORDER BY o) "
        "FROM unnest(%s::float8[], %s::float8[], %s::float8[], %s::float8[]) "
        "WITH ORDINALITY AS u(x, y, wx, wy, o)",
        ([g[0] for g in gcj], [g[1] for g in gcj], [p[0] for p in pts], [p[1] for p in pts])
    ).fetchone()
    inverse_err, forward_err = got
    # Published implementations differ by ~1 cm (eviltransform uses a = 6378137 m where the
    # usual formula has Krasovsky's 6378245 m); both are far below what matters here.
    assert max(forward_err) < 0.05
    assert max(inverse_err) < 0.05  # iterative inverse: well under 1 m


def test_bd09_against_an_independent_implementation(conn):
    import eviltransform

    pts = _points()
    bd = [eviltransform.wgs2bd(lat, lon)[::-1] for lon, lat in pts]
    err = conn.execute(
        "SELECT max(ST_Distance(publish.to_wgs84(x, y, 'bd09')::geography, "
        "ST_SetSRID(ST_MakePoint(wx, wy), 4326)::geography)) "
        "FROM unnest(%s::float8[], %s::float8[], %s::float8[], %s::float8[]) AS u(x, y, wx, wy)",
        ([b[0] for b in bd], [b[1] for b in bd], [p[0] for p in pts], [p[1] for p in pts])
    ).fetchone()[0]
    assert err < 0.5


def test_loaded_gcj02_lands_on_the_wgs84_position(tmp_path, db_url, conn):
    import eviltransform

    wlat, wlon = 23.03, 113.114
    glat, glon = eviltransform.wgs2gcj(wlat, wlon)
    r = row(经度=f"{glon:.7f}", 纬度=f"{glat:.7f}")
    load_file(db_url, write_csv(tmp_path / "g.csv", [r]), crs="gcj02")
    d = conn.execute("SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)"
                     "::geography), ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s),"
                     " 4326)::geography) FROM registry.enterprises", (wlon, wlat, glon, glat)
                     ).fetchone()
    assert d[0] < 0.1  # within 10 cm of the true position
    assert 500 < d[1] < 800  # and the GCJ-02 offset (~600 m here) was removed


def test_cgcs2000_is_close_to_wgs84(conn):
    d = conn.execute("SELECT ST_Distance(publish.to_wgs84(113.1, 23.0, 'cgcs2000')::geography, "
                     "ST_SetSRID(ST_MakePoint(113.1, 23.0), 4326)::geography)").fetchone()[0]
    assert d < 1.0


# -- bad input: one line, nothing loaded ---------------------------------------------
def test_missing_required_column(tmp_path, db_url):
    from industry_clusters.demo.synth import HEADERS

    headers = [h for h in HEADERS if h != "注册资本"]
    path = write_csv(tmp_path / "m.csv", [row()], headers=headers)
    line = assert_one_line_error(run_cli("load", str(path), "--crs", "wgs84", url=db_url),
                                 "required column 'capital' not found", "--map capital=")
    assert "企业名称" in line  # the headers found are listed


def test_one_column_of_both_coordinates(tmp_path, db_url, conn):
    """A geocoded export's single location column ("113.12,23.04", Amap's form; comma,
    Chinese comma, semicolon or space between) gives the same enterprises as separate
    columns; one that does not split is rejected showing what it held."""
    rows = [row(经度=f"113.{i:03d}", 纬度=f"23.{i:03d}") for i in range(5)]
    plain = load_file(db_url, write_csv(tmp_path / "plain.csv", rows), crs="gcj02")
    expected = outcome(conn, plain.load_run_id)[1]
    conn.execute("DELETE FROM registry.enterprises")
    conn.commit()
    headers = [h for h in HEADERS if h not in ("经度", "纬度")] + ["经纬度"]
    both = [dict(r, 经纬度=f"{r['经度']}{sep}{r['纬度']}")
            for r, sep in zip(rows, [",", ", ", "，", ";", " "], strict=True)]
    bad = row(经纬度="113.1/23.0")
    res = load_file(db_url, write_csv(tmp_path / "both.csv", both + [bad], headers=headers),
                    crs="gcj02")
    assert res.counts["accepted"] == 5 and outcome(conn, res.load_run_id)[1] == expected
    assert reject_reasons(conn, res.load_run_id) == {
        bad["统一社会信用代码"]: "coordinates_missing"}
    message = conn.execute("SELECT message FROM registry.rejects WHERE load_run_id = %s",
                           (res.load_run_id,)).fetchone()[0]
    assert "'113.1/23.0'" in message
    # separate columns win over a location column beside them
    mixed = [dict(r, location="0,0") for r in rows]
    res = load_file(db_url, write_csv(tmp_path / "mixed.csv", mixed, headers=HEADERS +
                                      ["location"]), crs="gcj02")
    assert res.counts["accepted"] == 5
    # neither: the error names both ways
    headers = [h for h in HEADERS if h != "纬度"]
    assert_one_line_error(run_cli("load", str(write_csv(tmp_path / "none.csv", rows,
                                                        headers=headers)),
                                  "--crs", "gcj02", url=db_url),
                          "required column 'lat' not found", "one column of both, 经纬度")


@pytest.mark.parametrize("header, bare_cny", [
    ("注册资本(元)", 1_000_000), ("注册资本（万元）", 10_000_000_000),
    ("注册资本 (万美元)", None), ("注册资本(单位:千)", 10_000_000_000), ("注册资本", 10_000_000_000)])
def test_a_capital_header_states_the_unit_of_bare_numbers(tmp_path, db_url, conn, header,
                                                         bare_cny):
    """A bare number is in the unit the header states, when the parser reads it (else
    万元); a value with its own unit keeps it."""
    bare, own = row(**{header: "1,000,000"}), row(**{header: "50万元"})
    headers = [header if h == "注册资本" else h for h in HEADERS]
    load_file(db_url, write_csv(tmp_path / "c.csv", [bare, own], headers=headers),
              crs="gcj02")
    got = enterprise(conn, bare["统一社会信用代码"])
    rate = conn.execute("SELECT cny_per_unit FROM registry.currency_rates "
                        "WHERE currency = 'USD'").fetchone()[0]
    assert got["capital_cny"] == (bare_cny if bare_cny else 10_000_000_000 * rate)
    assert got["capital_currency"] == ("USD" if bare_cny is None else "CNY")
    assert got["capital_raw"] == "1,000,000"  # as written
    assert enterprise(conn, own["统一社会信用代码"])["capital_cny"] == 500_000


def test_a_file_name_that_is_not_utf8(tmp_path, db_url, conn):
    """A zip made on Windows unpacks on Linux with GBK file names, bytes that are not
    UTF-8: the load failed with a UnicodeEncodeError traceback ("surrogates not
    allowed") when it recorded the name. The name is recorded and printed with those
    bytes as \\xNN, and the file is read as it is."""
    import os

    gbk = os.fsdecode("企业名录".encode("gbk") + b".csv")  # as Python gets it from Linux
    path = write_csv(tmp_path / gbk, [row(), row()])
    # the bytes that do not decode as UTF-8 shown as \\xNN (some GBK pairs do decode)
    shown = ("企业名录".encode("gbk") + b".csv").decode("utf-8", "backslashreplace")
    assert "\\x" in shown
    r = run_cli("load", str(path), "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0, r.output
    assert conn.execute("SELECT file_name FROM registry.load_runs").fetchone()[0] == \
        f"{tmp_path}/{shown}"
    # parts, and a refusal naming the file
    assert load_file(db_url, [path, write_csv(tmp_path / "b.csv", [row()])], crs="wgs84",
                     full_refresh=False).counts["accepted"] == 3
    assert conn.execute("SELECT parts -> 0 ->> 'file' FROM registry.load_runs ORDER BY "
                        "load_run_id DESC LIMIT 1").fetchone()[0] == f"{tmp_path}/{shown}"
    assert_one_line_error(run_cli("load", str(path), "--crs", "wgs84", "--map", "lat=经度",
                                  url=db_url), f"column '经度' of {shown} would be read as")


def test_map_option_renames_a_column(tmp_path, db_url, conn):
    from industry_clusters.demo.synth import HEADERS

    headers = ["公司全称" if h == "企业名称" else h for h in HEADERS]
    r = row()
    r["公司全称"] = "映射的名字"
    path = write_csv(tmp_path / "map.csv", [r], headers=headers)
    res = run_cli("load", str(path), "--crs", "wgs84", "--map", "name=公司全称", url=db_url)
    assert res.exit_code == 0, res.output
    assert ": read 1, accepted 1, rejected 0; inserted 1, updated 0, unchanged 0, " \
           "deactivated 0; " in res.output  # the one-line summary
    assert enterprise(conn, r["统一社会信用代码"])["name"] == "映射的名字"
    assert_one_line_error(run_cli("load", str(path), "--crs", "wgs84", "--map", "nom=x",
                                  url=db_url), "unknown field 'nom'")
    # one column for two fields read every row wrong: all rejected, or a wrong field
    for maps, fragment in ((["name=公司全称", "lon=经度", "lat=经度"],
                            "both lon (--map) and lat (--map)"),
                           (["name=公司全称", "credit_code=注册地址"],
                            "both credit_code (--map) and address")):
        args = [a for m in maps for a in ("--map", m)]
        assert_one_line_error(run_cli("load", str(path), "--crs", "wgs84", "--force", *args,
                                      url=db_url),
                              f"of map.csv would be read as {fragment}; give each its own "
                              "column with --map FIELD=COLUMN")


def test_duplicate_header_is_one_line(tmp_path, db_url):
    from industry_clusters.demo.synth import HEADERS

    path = write_csv(tmp_path / "dup.csv", [row()], headers=HEADERS + ["企业名称"])
    assert_one_line_error(run_cli("load", str(path), "--crs", "wgs84", url=db_url),
                          "appears 2 times")


@pytest.mark.parametrize("content, fragment", [
    (b"", "is empty"),
    (b"\n\n", "is empty"),
])
def test_empty_files(tmp_path, db_url, content, fragment):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    assert_one_line_error(run_cli("load", str(path), "--crs", "wgs84", url=db_url), fragment)


def test_header_only_refuses_a_full_refresh(tmp_path, db_url, conn):
    path = write_csv(tmp_path / "h.csv", [])
    assert_one_line_error(run_cli("load", str(path), "--crs", "wgs84", url=db_url),
                          "no data rows", "--incremental")
    status = conn.execute("SELECT status FROM registry.load_runs").fetchone()[0]
    assert status == "failed"


def test_crs_is_required_and_files_must_exist(tmp_path, db_url):
    path = write_csv(tmp_path / "c.csv", [row()])
    assert_one_line_error(run_cli("load", str(path), url=db_url), "--crs gcj02")
    assert_one_line_error(run_cli("load", str(tmp_path / "nope.csv"), "--crs", "wgs84",
                                  url=db_url), "no such file")
    # `curl ... | industry-clusters load -`: said plainly, with what to do
    assert_one_line_error(run_cli("load", "-", "--crs", "wgs84", input=path.read_text(),
                                  url=db_url), "standard input cannot be loaded", "curl -o")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    assert_one_line_error(run_cli("load", str(fifo), "--crs", "wgs84", url=db_url),
                          "is a pipe or a device, not a file", "save it first")
    with pytest.raises(UserError, match="is a directory; give the export file in it"):
        load_file(db_url, tmp_path, crs="wgs84")  # the CLI's argument check says it first
    weird = tmp_path / "data.bin"
    weird.write_text("x")
    assert_one_line_error(run_cli("load", str(weird), "--crs", "wgs84", url=db_url),
                          "--format")


# -- nightly safety ------------------------------------------------------------------------
def test_same_content_is_a_no_op_unless_forced(tmp_path, db_url, conn):
    path = write_csv(tmp_path / "n.csv", [row(), row()])
    first = load_file(db_url, path, crs="wgs84")
    again = load_file(db_url, path, crs="wgs84")
    assert again.status == "skipped" and again.previous_run_id == first.load_run_id
    assert conn.execute("SELECT count(*) FROM registry.load_runs").fetchone()[0] == 1
    forced = load_file(db_url, path, crs="wgs84", force=True)
    assert forced.counts["unchanged"] == 2 and forced.counts["inserted"] == 0


def test_the_same_file_is_loaded_again_after_its_screening_changed(tmp_path, db_url, conn):
    """"Already loaded" was decided by the file alone: after a rule was edited, the
    region set or the loader upgraded (revision 0089 reads capitals it rejected), the
    night's file was skipped and the change waited for a file of other content or for
    --force. Now the same content is loaded again when what its screening reads changed
    (registry.screening_signature, recorded with each run), and skipped otherwise."""
    odd = row(登记状态="筹建中")  # no status rule knows it: status_unknown
    path = write_csv(tmp_path / "s.csv", [row(), odd])
    first = load_file(db_url, path, crs="wgs84")
    assert counts_add_up(conn, first.load_run_id)["by_reason"] == {"status_unknown": 1}
    assert load_file(db_url, path, crs="wgs84").status == "skipped"
    # its time written as `runs` and `rejects` write times (db status had its own form)
    at = cell_text(conn.execute("SELECT finished_at FROM registry.load_runs WHERE "
                                "load_run_id = %s", (first.load_run_id,)).fetchone()[0])
    assert (f"last load:      run {first.load_run_id} ({at}), " in (out := run_cli(
        "db", "status", url=db_url).output) and "1 accepted, 1 rejected; screened with "
        "today's rules" in out), out
    assert f", {at}): 1 of 2 rows rejected" in run_cli("rejects", url=db_url).output
    conn.execute("INSERT INTO registry.status_rules VALUES (999, 50, '筹建', true, 'ours')")
    conn.commit()
    assert "changed since: the next load of its file reads it again" in run_cli(
        "db", "status", url=db_url).output
    again = load_file(db_url, path, crs="wgs84")
    assert again.status == "succeeded" and again.rescreened == first.load_run_id
    assert f"the same content as load run {first.load_run_id}, loaded again" in again.summary()
    assert enterprise(conn, odd["统一社会信用代码"])["active"]
    assert load_file(db_url, path, crs="wgs84").status == "skipped"  # nothing changed since
    # the region (db region), and the loader's functions (an upgrade): loaded again
    r = run_cli("db", "region", "--name", "Foshan city", url=db_url)
    assert r.exit_code == 0, r.output
    assert load_file(db_url, path, crs="wgs84").status == "succeeded"
    conn.execute("CREATE OR REPLACE FUNCTION registry.parse_employees(raw text) RETURNS integer "
                 "LANGUAGE sql IMMUTABLE AS $$ SELECT NULL::integer $$")
    conn.commit()
    upgraded = load_file(db_url, path, crs="wgs84")
    assert upgraded.status == "succeeded" and upgraded.rescreened is not None
    assert load_file(db_url, path, crs="wgs84").status == "skipped"
    runs = conn.execute("SELECT count(DISTINCT screening), count(*) FROM registry.load_runs "
                        "WHERE status = 'succeeded'").fetchone()
    assert runs == (4, 4)
    # --force loads it again regardless, without the note
    forced = load_file(db_url, path, crs="wgs84", force=True)
    assert forced.status == "succeeded" and forced.rescreened is None


def test_an_export_that_returns_to_an_earlier_nights_content_is_loaded_again(
        tmp_path, db_url, conn):
    """Night 1 loads A, night 2 B (a firm missing), night 3 A again, byte for byte (the
    upstream fixed its export). The third load was skipped as "already loaded" (run 1
    had that content), and the firm stayed inactive: B's state was kept. Only the last
    load counts now, and only when it read the same content the same way."""
    keep, gone = row(), row()
    a = write_csv(tmp_path / "a.csv", [keep, gone])
    b = write_csv(tmp_path / "b.csv", [keep, row()])
    first = load_file(db_url, a, crs="wgs84")
    load_file(db_url, b, crs="wgs84", force=True)  # force: half the registry goes
    assert not enterprise(conn, gone["统一社会信用代码"])["active"]
    conn.commit()
    back = load_file(db_url, a, crs="wgs84")
    assert back.status == "succeeded" and back.load_run_id > first.load_run_id
    assert enterprise(conn, gone["统一社会信用代码"])["active"]
    assert load_file(db_url, a, crs="wgs84").status == "skipped"  # the same night again
    # a partial file loaded since does not make the night's export load again (and undo
    # it): a full refresh is compared with the last full refresh
    patch = row(企业名称="佛山市补录科技有限公司")
    load_file(db_url, write_csv(tmp_path / "patch.csv", [patch]), crs="wgs84",
              full_refresh=False)
    assert load_file(db_url, a, crs="wgs84").status == "skipped"
    assert enterprise(conn, patch["统一社会信用代码"])["active"]
    conn.commit()
    # the same content read another way is another load: a corrected --crs, --map ...
    other_crs = load_file(db_url, a, crs="gcj02")
    assert other_crs.status == "succeeded"
    assert load_file(db_url, a, crs="gcj02").status == "skipped"
    assert load_file(db_url, a, crs="gcj02", full_refresh=False).status == "succeeded"
    # a --map naming the column the header gives anyway reads it the same way
    assert load_file(db_url, a, crs="gcj02", full_refresh=False,
                     mapping={"name": "企业名称"}).status == "skipped"
    mapped = load_file(db_url, a, crs="gcj02", full_refresh=False,
                       mapping={"district": "注册地址"})
    assert mapped.status == "succeeded"


def test_the_layer_or_sheet_read_is_recorded_and_tells_loads_apart(tmp_path, db_url, conn):
    """Two layers of one GeoPackage are two registries; the second was skipped as
    "already loaded" (same file content). Which layer or sheet a load read was not
    recorded either: registry.load_runs.layers now says."""
    import numpy as np
    import openpyxl
    import pyogrio
    import shapely

    from industry_clusters.demo.synth import HEADERS as SHEET_HEADERS

    path = tmp_path / "two.gpkg"
    fields = ["企业名称", "统一社会信用代码", "登记状态", "注册资本", "国标行业"]
    for name, rows in (("north", [row(), row()]), ("south", [row(), row(), row()])):
        data = [np.array([r[f] for r in rows], dtype=object) for f in fields]
        pts = shapely.points([[113.10 + i / 100, 23.03] for i in range(len(rows))])
        pyogrio.raw.write(path, shapely.to_wkb(pts), data, fields, layer=name,
                          geometry_type="Point", crs="EPSG:4326", driver="GPKG",
                          append=path.exists())
    north = load_file(db_url, path, crs="wgs84", layer="north", full_refresh=False)
    south = load_file(db_url, path, crs="wgs84", layer="south", full_refresh=False)
    assert (north.status, south.status) == ("succeeded", "succeeded")
    assert south.counts["accepted"] == 3
    assert load_file(db_url, path, crs="wgs84", layer="south",
                     full_refresh=False).status == "skipped"
    both = load_file(db_url, path, crs="wgs84", layer=["north", "south"], full_refresh=False)
    assert both.counts["read"] == 5 and both.file == "two.gpkg (layer 'north') + " \
        "two.gpkg (layer 'south')"
    wb = openpyxl.Workbook()
    wb.active.title = "名录"
    wb.active.append(SHEET_HEADERS)
    wb.active.append([row()[h] for h in SHEET_HEADERS])
    wb.save(tmp_path / "r.xlsx")
    book = load_file(db_url, tmp_path / "r.xlsx", crs="wgs84", full_refresh=False)
    csv = load_file(db_url, write_csv(tmp_path / "c.csv", [row()]), crs="wgs84",
                    full_refresh=False)
    layers = dict(conn.execute("SELECT load_run_id, layers FROM registry.load_runs"))
    assert [layers[r.load_run_id] for r in (north, south, both, book, csv)] == \
        [["north"], ["south"], ["north", "south"], ["名录"], None]


def test_first_load_builds_the_indexes_after_inserting(tmp_path, db_url, conn):
    """Into an empty registry the indexes are dropped and built again after the insert
    (new index oids), exactly as they were; later loads keep them."""
    indexes = ("SELECT i.indexrelid::regclass::text, i.indexrelid, pg_get_indexdef(i.indexrelid), "
               "coalesce(c.conname, '') FROM pg_index i LEFT JOIN pg_constraint c "
               "ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid "
               "WHERE i.indrelid = 'registry.enterprises'::regclass ORDER BY 1")
    before = conn.execute(indexes).fetchall()
    conn.commit()
    assert len(before) == 2 and {b[3] for b in before} >= {"enterprises_pkey"}
    load_file(db_url, write_csv(tmp_path / "a.csv", [row() for _ in range(5)]), crs="wgs84")
    after = conn.execute(indexes).fetchall()
    conn.commit()
    assert [(n, d, c) for n, _, d, c in after] == [(n, d, c) for n, _, d, c in before]
    assert not {oid for _, oid, _, _ in after} & {oid for _, oid, _, _ in before}
    load_file(db_url, write_csv(tmp_path / "b.csv", [row()]), crs="wgs84", full_refresh=False)
    assert conn.execute(indexes).fetchall() == after
    conn.commit()
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("UPDATE registry.enterprises SET credit_code = (SELECT min(credit_code) "
                     "FROM registry.enterprises) WHERE enterprise_id = (SELECT max(enterprise_id) "
                     "FROM registry.enterprises)")
    conn.rollback()


def test_enterprise_ids_follow_the_file_and_are_never_reused(tmp_path, db_url, conn):
    """A first load numbers enterprises by line (the sequence continues after earlier
    ids, so none is reused); a later load numbers its new rows in file order after them."""
    ids = ("SELECT credit_code, enterprise_id FROM registry.enterprises "
           "ORDER BY enterprise_id")
    first = [row(), row(注册资本=""), row(), row(登记状态="注销"), row()]
    load_file(db_url, write_csv(tmp_path / "a.csv", first), crs="wgs84")
    got = conn.execute(ids).fetchall()
    conn.commit()
    base = got[0][1] - 1
    # line 2 rejected (capital); line 4 kept as history; ids = base + line number
    assert got == [(first[i]["统一社会信用代码"], base + i + 1) for i in (0, 2, 3, 4)]
    later = [row(), first[0], row()]
    load_file(db_url, write_csv(tmp_path / "b.csv", later), crs="wgs84", full_refresh=False)
    new = conn.execute(ids).fetchall()[len(got):]
    assert new == [(later[0]["统一社会信用代码"], base + 6), (later[2]["统一社会信用代码"], base + 7)]
    conn.execute("DELETE FROM registry.enterprises")
    conn.commit()
    load_file(db_url, write_csv(tmp_path / "c.csv", [row()]), crs="wgs84")
    assert conn.execute(ids).fetchone()[1] == base + 8  # after every id given before
    conn.commit()


def test_full_refresh_deactivates_missing_and_keeps_history(tmp_path, db_url, conn):
    a, b, c = row(), row(), row()
    load_file(db_url, write_csv(tmp_path / "1.csv", [a, b, c]), crs="wgs84")
    changed = dict(b, 企业名称="改名了")
    res = load_file(db_url, write_csv(tmp_path / "2.csv", [a, changed]), crs="wgs84")
    assert (res.counts["unchanged"], res.counts["updated"], res.counts["deactivated"]) == (1, 1, 1)
    gone = enterprise(conn, c["统一社会信用代码"])
    assert gone["active"] is False and gone["inactive_since"] is not None
    assert enterprise(conn, b["统一社会信用代码"])["name"] == "改名了"
    # deregistered in the next file: inactive with the new status, even incrementally
    res = load_file(db_url, write_csv(tmp_path / "3.csv", [dict(a, 登记状态="注销")]),
                    crs="wgs84", full_refresh=False)
    assert res.counts["deactivated"] == 1
    assert enterprise(conn, a["统一社会信用代码"])["status"] == "注销"
    assert enterprise(conn, b["统一社会信用代码"])["active"] is True  # incremental: kept


@pytest.mark.parametrize("second_encoding, parser", [("utf-8", "server"),
                                                       ("gb18030", "python")])
def test_parts_of_one_export_are_one_load(tmp_path, db_url, conn, second_encoding, parser):
    """Several files are the parts of one export: one load run, one full refresh over all
    of them (enterprises absent from every part are marked inactive, those in any part
    stay active), duplicates found across parts, and each reject located by its part and
    its record number in that part's file. The same parts again are recognised."""
    a, b, c, d, e = (row() for _ in range(5))
    load_file(db_url, write_csv(tmp_path / "all.csv", [a, b, c, d, e]), crs="wgs84")
    p1 = write_csv(tmp_path / "p1.csv", [a, row(注册资本=""), dict(b, 企业名称="改名了")])
    p2 = write_csv(tmp_path / "p2.csv", [c, dict(a, 企业名称="又一行"), row(企业名称="")],
                   encoding=second_encoding)
    res = load_file(db_url, [p1, p2], crs="wgs84")
    assert (res.counts["read"], res.counts["accepted"], res.counts["rejected"]) == (6, 3, 3)
    assert (res.counts["unchanged"], res.counts["updated"], res.counts["deactivated"]) == (2, 1, 2)
    assert res.file == "p1.csv + p2.csv"
    counts_add_up(conn, res.load_run_id)
    active = {code for (code,) in conn.execute(
        "SELECT credit_code FROM registry.enterprises WHERE active")}
    assert active == {x["统一社会信用代码"] for x in (a, b, c)}
    assert enterprise(conn, a["统一社会信用代码"])["name"] == a["企业名称"]  # the first row wins
    run = conn.execute("SELECT parts, parser, file_name, file_bytes, full_refresh "
                       "FROM registry.load_runs WHERE load_run_id = %s",
                       (res.load_run_id,)).fetchone()
    assert [(x["part"], x["file"], x["first_line"], x["records"]) for x in run[0]] == \
        [(1, str(p1), 1, 3), (2, str(p2), 4, 3)]
    assert run[1:] == (parser, f"{p1}, {p2}", p1.stat().st_size + p2.stat().st_size, True)
    rejects = conn.execute("SELECT part, line_no, reason, raw ->> '企业名称' "
                           "FROM registry.rejects WHERE load_run_id = %s ORDER BY part, line_no",
                           (res.load_run_id,)).fetchall()
    assert rejects == [(1, 2, "capital_irregular", rejects[0][3]),
                       (2, 2, "duplicate_credit_code", "又一行"),
                       (2, 3, "name_missing", "")]
    conn.commit()
    again = load_file(db_url, [p1, p2], crs="wgs84")
    assert again.status == "skipped" and again.previous_run_id == res.load_run_id
    # a single file keeps the numbering it always had: no part
    one = load_file(db_url, write_csv(tmp_path / "one.csv", [a, b, row(注册资本="")]),
                    crs="wgs84", full_refresh=False)
    assert conn.execute("SELECT part, line_no FROM registry.rejects WHERE load_run_id = %s",
                        (one.load_run_id,)).fetchall() == [(None, 3)]
    assert conn.execute("SELECT parts FROM registry.load_runs WHERE load_run_id = %s",
                        (one.load_run_id,)).fetchone()[0] is None


@pytest.mark.parametrize("encoding, bom, parser", [("utf-8", "", "server"),
                                                   ("utf-8", "\ufeff", "server"),
                                                   ("gb18030", "", "python")])
def test_a_csv_part_without_a_header_row_is_read_with_the_first_parts(
        tmp_path, db_url, conn, encoding, bom, parser):
    """`split -l` cuts a large CSV into files of which only the first has the header.
    The second was refused as "not a part of the same export" (its first row taken for
    a header), with the advice to load it on its own, which failed too. A part whose
    first rows fit the first part's columns and carry valid credit codes in its credit
    code column is now read from its first line with that header; one whose rows do not
    is refused as before."""
    import csv

    one, two = [row(), row()], [row(), row(注册资本=""), row()]
    load_file(db_url, write_csv(tmp_path / "all.csv", one + two), crs="wgs84")
    p1 = write_csv(tmp_path / "p1.csv", one)

    def headerless(name: str, rows: list[dict]) -> Path:
        with open(tmp_path / name, "w", encoding=encoding, newline="") as f:
            f.write(bom)
            csv.writer(f, lineterminator="\n").writerows([r[h] for h in HEADERS] for r in rows)
        return tmp_path / name

    p2 = headerless("p2.csv", two)
    r = run_cli("load", str(p1), str(p2), "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0, r.output
    assert "accepted 4, rejected 1" in r.output and "deactivated 0" in r.output, r.output
    assert "p2.csv has no header row: read with that of p1.csv" in r.output
    run, parts, used = conn.execute(
        "SELECT load_run_id, parts, parser FROM registry.load_runs "
        "ORDER BY load_run_id DESC LIMIT 1").fetchone()
    assert used == parser
    assert [(p["part"], p.get("header_from"), p["first_line"], p["records"])
            for p in parts] == [(1, None, 1, 2), (2, 1, 3, 3)]
    assert conn.execute("SELECT part, line_no, reason FROM registry.rejects "
                        "WHERE load_run_id = %s", (run,)).fetchall() == \
        [(2, 2, "capital_irregular")]
    assert enterprise(conn, two[0]["统一社会信用代码"])["name"] == two[0]["企业名称"]
    conn.commit()
    # rows that are not the export's: no valid credit code where the header has it
    p3 = headerless("p3.csv", [row(统一社会信用代码=credit_code(valid=False))])
    assert_one_line_error(run_cli("load", str(p1), str(p3), "--crs", "wgs84", url=db_url),
                          "p3.csv is not a part of the same export as p1.csv")


def test_parts_fall_back_to_python_together(tmp_path, db_url, conn):
    """The server parses the first part, then finds a stray quote in the second: both
    are read again by Python's reader, and the record numbers stay right."""
    p1 = write_csv(tmp_path / "p1.csv", [row(), row(注册资本="")])
    odd = row(企业名称='甲"乙科技有限公司')
    p2 = write_csv(tmp_path / "p2.csv", [row(注册资本="")])
    with open(p2, "a", encoding="utf-8") as f:  # unquoted: csv.writer would quote it
        f.write(",".join(odd[h] for h in HEADERS) + "\n")
    res = load_file(db_url, [p1, p2], crs="wgs84")
    assert (res.counts["read"], res.counts["accepted"]) == (4, 2)
    assert conn.execute("SELECT parser FROM registry.load_runs WHERE load_run_id = %s",
                        (res.load_run_id,)).fetchone()[0] == "python"
    assert enterprise(conn, odd["统一社会信用代码"])["name"] == '甲"乙科技有限公司'
    assert conn.execute("SELECT part, line_no FROM registry.rejects WHERE load_run_id = %s "
                        "ORDER BY part", (res.load_run_id,)).fetchall() == [(1, 2), (2, 1)]


def test_parts_that_are_not_one_export_load_nothing(tmp_path, db_url, conn):
    """A part with other columns, another format or given twice is refused in one line
    before anything is loaded."""
    p1 = write_csv(tmp_path / "p1.csv", [row()])
    other = write_csv(tmp_path / "p2.csv", [row()], headers=[h for h in HEADERS if h != "经度"])
    xlsx = tmp_path / "p3.xlsx"
    xlsx.write_bytes(b"")
    for args, fragment in [((str(p1), str(other)), "its header differs (it lacks '经度')"),
                           ((str(p1), str(xlsx)), "one format"),
                           ((str(p1), str(tmp_path / "." / "p1.csv")), "given twice")]:
        assert_one_line_error(run_cli("load", *args, "--crs", "wgs84", url=db_url), fragment)
    assert conn.execute("SELECT count(*) FROM registry.load_runs").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM registry.enterprises").fetchone()[0] == 0


def test_a_code_the_file_accepts_and_reports_closed(tmp_path, db_url, conn):
    """A code a file both accepts and reports closed ends inactive, in a first load and in
    a later one; a code it only reports closed, twice, is kept once, as history."""
    a, b = row(), row(登记状态="注销", 注销日期="2023-05-06")
    rows = [a, dict(a, 登记状态="注销"), b, dict(b, 注销日期="2024-01-01")]
    headers = [*HEADERS, "注销日期"]
    res = load_file(db_url, write_csv(tmp_path / "1.csv", rows, headers), crs="wgs84")
    assert (res.counts["inserted"], res.counts["history"], res.counts["deactivated"]) == (1, 1, 1)
    assert (res.counts["accepted"], res.counts["rejected"]) == (1, 3)
    closed = enterprise(conn, a["统一社会信用代码"])
    assert (closed["active"], closed["status"]) == (False, "注销")
    kept = enterprise(conn, b["统一社会信用代码"])
    assert (kept["active"], str(kept["inactive_since"])) == (False, "2023-05-06")  # the first row
    c = row()
    res = load_file(db_url, write_csv(tmp_path / "2.csv", [c, a, dict(c, 登记状态="吊销")]),
                    crs="wgs84", full_refresh=False)
    assert (res.counts["inserted"], res.counts["updated"], res.counts["deactivated"]) == (1, 1, 1)
    assert enterprise(conn, c["统一社会信用代码"])["active"] is False
    assert enterprise(conn, a["统一社会信用代码"])["active"] is True  # back in the file
    assert conn.execute("SELECT count(*) FROM registry.enterprises").fetchone()[0] == 3


@pytest.mark.parametrize("full_refresh", [False, True])
def test_a_closed_row_closes_its_enterprise_whatever_else_it_fails(tmp_path, db_url, conn,
                                                                   full_refresh):
    """A row that says its enterprise closed (注销, 吊销) closes a known enterprise even
    where another rule rejects it: a closed firm's row often lacks coordinates or a
    readable capital. It stayed active under --incremental (and clustered), and a full
    refresh marked it missing, without its status or date. The row stays rejected for
    its reason, and a firm the registry does not know is not kept as history from it
    (history needs every other rule passed)."""
    a, b, c, d = row(), row(), row(), row()
    headers = [*HEADERS, "注销日期"]
    load_file(db_url, write_csv(tmp_path / "1.csv", [a, b, c, d], headers), crs="wgs84")
    unknown = row(登记状态="注销", 经度="", 纬度="")
    rows = [dict(a, 登记状态="注销", 经度="", 纬度="", 注销日期="2024-03-01"),
            dict(b, 登记状态="吊销", 注册资本=""),
            dict(c, 登记状态="注销", 统一社会信用代码=credit_code(valid=False)),  # not c's
            d, unknown]
    res = load_file(db_url, write_csv(tmp_path / "2.csv", rows, headers), crs="wgs84",
                    full_refresh=full_refresh, force=True)
    # full refresh: c, named by no valid code, is missing from the file
    assert res.counts["deactivated"] == 2 + full_refresh, res.counts
    got = {code: enterprise(conn, code) for code in (a["统一社会信用代码"],
                                                      b["统一社会信用代码"])}
    assert [(e["active"], e["status"]) for e in got.values()] == [(False, "注销"),
                                                                   (False, "吊销")]
    assert str(got[a["统一社会信用代码"]]["inactive_since"]) == "2024-03-01"
    assert enterprise(conn, c["统一社会信用代码"])["active"] is (not full_refresh)
    assert enterprise(conn, d["统一社会信用代码"])["active"] is True
    assert conn.execute("SELECT count(*) FROM registry.enterprises WHERE credit_code = %s",
                        (unknown["统一社会信用代码"],)).fetchone()[0] == 0
    assert conn.execute("SELECT line_no, reason FROM registry.rejects WHERE load_run_id = %s "
                        "ORDER BY line_no", (res.load_run_id,)).fetchall() == [
        (1, "coordinates_missing"), (2, "capital_irregular"), (3, "credit_code_invalid"),
        (5, "coordinates_missing")]
    if full_refresh:
        assert res.counts["active_before"] == 4
    counts_add_up(conn, res.load_run_id)


@pytest.mark.parametrize("full_refresh", [False, True])
def test_a_known_firm_no_longer_digital_leaves_the_active_ones(tmp_path, db_url, conn,
                                                               full_refresh):
    """A row for a known enterprise that is operating but now in no digital sector (its
    industry and scope changed) takes it out of the active enterprises, with its reason
    and the file's status. Under --incremental it stayed active (and clustered) with its
    old sector; a full refresh marked it missing. A closure in the same file wins, an
    accepted row of the same code keeps it, and a row of unknown status says nothing.
    The next file that finds it digital again makes it active."""
    a, b, c, d, e, f = (row() for _ in range(6))
    load_file(db_url, write_csv(tmp_path / "1.csv", [a, b, c, d, e, f]), crs="wgs84")
    new = row(**NOT_DIGITAL)
    rows = [dict(a, 登记状态="在业", **NOT_DIGITAL),
            b,
            dict(c, 登记状态="神秘状态", **NOT_DIGITAL),  # unknown status: says nothing
            dict(d, **NOT_DIGITAL), d,  # accepted from another row
            dict(e, **NOT_DIGITAL),  # the closure wins, by its first row
            dict(e, 登记状态="注销", 经度="", 注销日期="2024-03-01"),
            dict(e, 登记状态="吊销", 注销日期="2024-05-01")]
    res = load_file(db_url, write_csv(tmp_path / "2.csv", [*rows, new], [*HEADERS, "注销日期"]),
                    crs="wgs84", full_refresh=full_refresh, force=True)
    got = {k: enterprise(conn, x["统一社会信用代码"])
           for k, x in zip("abcdef", (a, b, c, d, e, f), strict=True)}
    assert {k: (x["active"], x["inactive_reason"]) for k, x in got.items()} == {
        "a": (False, "non_digital"), "b": (True, None),
        "c": (not full_refresh, "missing" if full_refresh else None), "d": (True, None),
        "e": (False, "closed"), "f": (not full_refresh, "missing" if full_refresh else None)}
    today = conn.execute("SELECT current_date").fetchone()[0]
    assert (got["a"]["status"], got["a"]["inactive_since"]) == ("在业", today)
    assert got["a"]["industry_code"] == a["国标行业"]  # the digital enterprise it was
    assert (got["e"]["status"], str(got["e"]["inactive_since"])) == ("注销", "2024-03-01")
    assert res.counts["deactivated_by"] == {"non_digital": 1, "closed": 1,
                                            "missing": 2 * full_refresh}
    assert conn.execute("SELECT rows_deactivated, deactivated_by FROM registry.load_runs "
                        "WHERE load_run_id = %s", (res.load_run_id,)).fetchone() == \
        (res.counts["deactivated"], res.counts["deactivated_by"])
    assert (f"enterprises:    {4 - 2 * full_refresh} active, {2 + 2 * full_refresh} inactive "
            f"(closed 1, no longer digital 1{', missing 2' if full_refresh else ''})\n") \
        in run_cli("db", "status", url=db_url).output
    assert res.counts["deactivated"] == 2 + 2 * full_refresh
    assert f"deactivated {2 + 2 * full_refresh} (closed 1, no longer digital 1" \
        in res.summary()
    assert conn.execute("SELECT count(*) FROM registry.enterprises WHERE credit_code = %s",
                        (new["统一社会信用代码"],)).fetchone()[0] == 0  # never digital here
    assert reject_reasons(conn, res.load_run_id)[a["统一社会信用代码"]] == "non_digital"
    counts_add_up(conn, res.load_run_id)
    conn.commit()
    # digital again: active again, without a reason
    res = load_file(db_url, write_csv(tmp_path / "3.csv", [dict(a, 登记状态="在业")]),
                    crs="wgs84", full_refresh=False)
    back = enterprise(conn, a["统一社会信用代码"])
    assert (res.counts["updated"], back["active"], back["inactive_reason"],
            back["inactive_since"]) == (1, True, None, None)


@pytest.mark.parametrize("full_refresh", [False, True])
def test_what_a_file_reports_of_an_inactive_firm_is_recorded(tmp_path, db_url, conn,
                                                             full_refresh):
    """A file that reports an enterprise the registry already has inactive records why
    and in what status: a missing one reported closed is closed (it kept missing and its
    last operating status), a closed one reported operating outside the digital sectors
    is non_digital, a new closed status is kept. It stays inactive from the day it left
    the map, is not counted as deactivated again, and a re-load writes nothing."""
    a, b, c, d, e = (row() for _ in range(5))
    load_file(db_url, write_csv(tmp_path / "1.csv", [a, b, c, d, e]), crs="wgs84")
    # b and d missing; c closed (吊销); e closed too
    load_file(db_url, write_csv(tmp_path / "2.csv",
                                [a, dict(c, 登记状态="吊销"), dict(e, 登记状态="吊销")]),
              crs="wgs84", force=True)
    conn.execute("UPDATE registry.enterprises SET inactive_since = '2024-01-02' "
                 "WHERE NOT active")
    conn.commit()
    rows = [a,
            dict(b, 登记状态="注销", 注销日期="2024-03-01"),  # missing -> closed
            dict(c, 登记状态="注销"),  # a new closed status
            dict(d, 登记状态="神秘状态"),  # unknown status: says nothing
            dict(e, 登记状态="在业", **NOT_DIGITAL)]  # operating, not digital
    file = write_csv(tmp_path / "3.csv", rows, [*HEADERS, "注销日期"])
    res = load_file(db_url, file, crs="wgs84", full_refresh=full_refresh, force=True)
    got = {k: enterprise(conn, x["统一社会信用代码"])
           for k, x in zip("bcde", (b, c, d, e), strict=True)}
    assert {k: (x["active"], x["inactive_reason"], x["status"], str(x["inactive_since"]))
            for k, x in got.items()} == {
        "b": (False, "closed", "注销", "2024-01-02"),
        "c": (False, "closed", "注销", "2024-01-02"),
        "d": (False, "missing", d["登记状态"], "2024-01-02"),
        "e": (False, "non_digital", "在业", "2024-01-02")}
    assert {k for k, x in got.items() if x["last_load_run_id"] == res.load_run_id} == \
        {"b", "c", "e"}
    assert (res.counts["deactivated"], res.counts["restated"]) == (0, 3)
    assert "deactivated 0, inactive reported anew 3;" in res.summary()
    assert conn.execute("SELECT rows_restated FROM registry.load_runs WHERE load_run_id = %s",
                        (res.load_run_id,)).fetchone()[0] == 3
    assert "4 inactive (closed 2, no longer digital 1, missing 1)" in \
        run_cli("db", "status", url=db_url).output
    counts_add_up(conn, res.load_run_id)
    conn.commit()
    again = load_file(db_url, file, crs="wgs84", full_refresh=full_refresh, force=True)
    assert (again.counts["restated"], again.counts["updated"]) == (0, 0)
    assert "reported anew" not in again.summary()
    assert conn.execute("SELECT count(*) FROM registry.enterprises WHERE last_load_run_id "
                        "= %s", (again.load_run_id,)).fetchone()[0] == 0


def test_an_incremental_load_that_would_deactivate_most_is_refused(tmp_path, db_url, conn):
    """The mass-deactivation guard holds for an incremental load too: a partial file
    whose industry column is read wrong (every row non_digital) or that reports most of
    the registry closed would take most enterprises out of the map overnight."""
    rows = [row() for _ in range(6)]
    load_file(db_url, write_csv(tmp_path / "full.csv", rows), crs="wgs84")
    wrong = write_csv(tmp_path / "wrong.csv",
                      [dict(r, **NOT_DIGITAL) for r in rows[:4]])
    assert_one_line_error(
        run_cli("load", str(wrong), "--crs", "wgs84", "--incremental", url=db_url),
        "this incremental load would mark 4 of 6 active enterprises inactive (more than "
        "50%); 4 of the file's 4 rows were rejected, 4 as non_digital (row 2: industry "
        "'C3311' / scope not digital (registry.sector_rules)); is the file read right "
        "(--map, --crs)? Use --force to accept")
    closed = write_csv(tmp_path / "closed.csv",
                       [*rows[:2], row(), row(), row(),
                        *(dict(r, 登记状态="注销") for r in rows[2:6])])
    with pytest.raises(UserError, match="would mark 4 of 6 active enterprises inactive "
                                        r"\(more than 50%\); it reports 4 closed and 0 in no "
                                        r"digital sector; is it read right \(--map\)\? Use "
                                        "--force to accept$"):
        load_file(db_url, closed, crs="wgs84", full_refresh=False)
    assert conn.execute("SELECT count(*) FROM registry.enterprises WHERE active").fetchone()[0] == 6
    # half is allowed, and --force accepts more
    half = write_csv(tmp_path / "half.csv", [dict(r, 登记状态="注销") for r in rows[:3]])
    assert load_file(db_url, half, crs="wgs84", full_refresh=False).counts["deactivated"] == 3
    res = load_file(db_url, wrong, crs="wgs84", full_refresh=False, force=True)
    assert (res.counts["active_before"], res.counts["deactivated_by"]["non_digital"]) == (3, 1)


def test_inactive_enterprises_of_earlier_revisions_get_their_reason(tmp_path, db_url, conn):
    """Revision 0109 gives the enterprises inactive before it their reason: closed where
    the status is one a rule excludes (or for history without a date), else missing."""
    from industry_clusters.db import run_sql_file

    a, b, c = row(), row(), row(登记状态="注销")  # c: history
    load_file(db_url, write_csv(tmp_path / "1.csv", [a, b, c]), crs="wgs84")
    load_file(db_url, write_csv(tmp_path / "2.csv", [dict(a, 登记状态="吊销")]), crs="wgs84",
              force=True)  # a closed, b missing
    conn.execute("ALTER TABLE registry.enterprises "
                 "DROP CONSTRAINT enterprises_inactive_reason_check")
    conn.execute("UPDATE registry.enterprises SET inactive_reason = NULL")
    run_sql_file(conn, "load/090_inactive_reason.sql")
    run_sql_file(conn, "load/090_inactive_reason.sql")  # re-runnable
    assert {code: reason for code, reason in conn.execute(
        "SELECT credit_code, inactive_reason FROM registry.enterprises")} == {
        a["统一社会信用代码"]: "closed", b["统一社会信用代码"]: "missing",
        c["统一社会信用代码"]: "closed"}
    with pytest.raises(psycopg.errors.CheckViolation):  # and the constraint is back
        conn.execute("UPDATE registry.enterprises SET active = true WHERE credit_code = %s",
                     (a["统一社会信用代码"],))  # (active with a reason)


def test_active_before_is_counted_without_scanning_the_registry(tmp_path, db_url, conn):
    """The guard's count of the enterprises active before a full refresh, derived by
    merge_load from what the file says about each, equals a count of the registry, in
    every way an active enterprise can fare: accepted unchanged or changed, closed,
    closed twice, closed and accepted, rejected for another rule, absent."""
    act = [row() for _ in range(8)]
    gone = row(登记状态="注销")  # history: inactive before, accepted again below
    load_file(db_url, write_csv(tmp_path / "1.csv", [*act, gone]), crs="wgs84")
    before = conn.execute("SELECT count(*) FROM registry.enterprises WHERE active").fetchone()[0]
    conn.rollback()
    closed = dict(act[3], 登记状态="注销")
    second = [act[0], act[1], dict(act[2], 企业名称="改名了"), closed, closed,
              act[4], dict(act[4], 登记状态="吊销"), dict(act[5], 注册资本="0"),
              dict(act[6], 登记状态="注销", 经度=""),
              dict(gone, 登记状态="存续"), row(), row()]  # act[7] absent
    res = load_file(db_url, write_csv(tmp_path / "2.csv", second), crs="wgs84", force=True)
    assert before == 8 and res.counts["active_before"] == before
    # closed: act[3], act[4] (closed and accepted), act[6] (closed, rejected for another
    # rule); missing: act[5] (rejected), 7
    assert res.counts["deactivated"] == 5
    assert enterprise(conn, act[6]["统一社会信用代码"])["status"] == "注销"
    assert conn.execute("SELECT count(*) FROM registry.enterprises WHERE active"
                        ).fetchone()[0] == 8 - 5 + 1 + 2
    # an incremental load whose rows say nothing of active enterprises (a non_digital
    # row of a firm the registry does not have) deactivates none: no count, no scan (one
    # that may is counted from the registry, and guarded)
    res = load_file(db_url, write_csv(tmp_path / "3.csv",
                                      [row(), row(**NOT_DIGITAL)]),
                    crs="wgs84", full_refresh=False)
    assert res.counts["by_reason"] == {"non_digital": 1} and "active_before" not in res.counts


def test_a_file_still_being_written_loads_nothing(tmp_path, db_url, conn):
    """An upstream copy still writing the export when the load reads it: the load fails
    in one line, nothing loaded, rather than taking a short file for the whole export.
    (The check follows the staging, whichever parser read the file.)"""
    path = write_csv(tmp_path / "r.csv", [row() for _ in range(5)])
    more = write_csv(tmp_path / "more.csv", [row()]).read_bytes()

    def progress(done, total):  # the writer appends while the load reads
        if not progress.appended:
            progress.appended = True
            with open(path, "ab") as f:
                f.write(more.split(b"\n", 1)[1])

    progress.appended = False
    with pytest.raises(UserError, match="r.csv changed while it was read; it may still be "
                                        "being written"):
        load_file(db_url, path, crs="gcj02", progress=progress)
    assert conn.execute("SELECT count(*) FROM registry.enterprises").fetchone()[0] == 0
    assert conn.execute("SELECT status FROM registry.load_runs").fetchone()[0] == "failed"
    conn.commit()
    # complete now: it loads
    assert load_file(db_url, path, crs="gcj02").counts["accepted"] == 6


def test_mass_deactivation_is_refused(tmp_path, db_url, conn):
    rows = [row() for _ in range(10)]
    load_file(db_url, write_csv(tmp_path / "full.csv", rows), crs="wgs84")
    with pytest.raises(UserError, match="would mark 8 of 10 active enterprises inactive "
                                        r"\(more than 50%\); is the file complete\?"):
        load_file(db_url, write_csv(tmp_path / "cut.csv", rows[:2]), crs="wgs84")
    assert conn.execute("SELECT count(*) FROM registry.enterprises WHERE active").fetchone()[0] == 10
    # the whole file, its coordinates in metres (CGCS2000 Gauss-Kruger columns): it is
    # complete, and the guard says why its rows were rejected instead of asking that
    metres = [dict(r, 经度=f"{511000 + i}.5", 纬度="2545000.0") for i, r in enumerate(rows)]
    metres[3]["注册资本"] = ""
    path = write_csv(tmp_path / "metres.csv", [row(), row(), *metres])
    assert_one_line_error(
        run_cli("load", str(path), "--crs", "cgcs2000", url=db_url),
        "would mark 10 of 10 active enterprises inactive (more than 50%); 10 of the file's "
        "12 rows were rejected, 9 as coordinates_missing (row 4: longitude '511000.5' is not "
        "a decimal number of degrees (like 113.12); latitude '2545000.0' is not a decimal "
        "number of degrees (like 23.02)); is the file read right (--map, --crs)? Use --force")
    assert conn.execute("SELECT count(*) FROM registry.enterprises WHERE active").fetchone()[0] == 10


def test_a_second_concurrent_load_is_refused(tmp_path, db_url):
    from industry_clusters.db import LOCKS

    with psycopg.connect(db_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (LOCKS["load"],))
        with pytest.raises(LockedError, match="another load is running"):
            load_file(db_url, write_csv(tmp_path / "x.csv", [row()]), crs="wgs84")
        r = run_cli("load", str(tmp_path / "x.csv"), "--crs", "wgs84", url=db_url)
        assert_one_line_error(r, "another load is running")


def test_a_load_waits_for_a_clustering_run_and_says_so(tmp_path, db_url, conn):
    """A load screens while a clustering run holds the registry, then waits for the run
    to end before it writes (saying so), and loads everything after it."""
    load_file(db_url, write_csv(tmp_path / "1.csv", [row()]), crs="wgs84")
    rows = [row() for _ in range(3)]
    heard: list[str] = []
    # (the connection is closed first on a failure here: its lock would hold the load)
    with ThreadPoolExecutor(1) as pool, psycopg.connect(db_url) as run:
        assert run.execute("SELECT registry.hold_enterprises('cluster')").fetchone()[0]
        job = pool.submit(load_file, db_url, write_csv(tmp_path / "2.csv", rows),
                          crs="wgs84", full_refresh=False, notify=heard.append)
        deadline = time.monotonic() + 30
        while not heard:
            assert not job.done() and time.monotonic() < deadline, "the load did not wait"
            time.sleep(0.05)
        time.sleep(0.3)
        assert not job.done()  # still waiting, nothing written
        assert conn.execute("SELECT count(*) FROM registry.enterprises").fetchone()[0] == 1
        conn.rollback()
        run.rollback()
        res = job.result(timeout=60)
    assert heard == ["waiting for a clustering run to finish (it holds "
                     "registry.enterprises) ..."]
    assert res.counts["inserted"] == 3
    assert conn.execute("SELECT count(*) FROM registry.enterprises").fetchone()[0] == 4


def test_kill_during_load_leaves_previous_data(tmp_path, db_url, conn):
    from industry_clusters.demo.synth import generate

    first = write_csv(tmp_path / "first.csv", [row() for _ in range(5)])
    load_file(db_url, first, crs="wgs84")
    before = conn.execute("SELECT credit_code, name, active, updated_at FROM registry.enterprises "
                          "ORDER BY 1").fetchall()
    big = generate(tmp_path / "big", seed=3, scale=0.5).registry
    proc = subprocess.Popen([sys.executable, "-m", "industry_clusters", "--database-url", db_url,
                             "load", str(big), "--crs", "gcj02", "--force"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until the load run has started
        n = conn.execute("SELECT count(*) FROM registry.load_runs WHERE status='running'"
                         ).fetchone()[0]
        conn.rollback()
        if n:
            break
        time.sleep(0.05)
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    after = conn.execute("SELECT credit_code, name, active, updated_at FROM registry.enterprises "
                         "ORDER BY 1").fetchall()
    assert after == before
    assert conn.execute("SELECT count(*) FROM registry.rejects WHERE load_run_id = "
                        "(SELECT max(load_run_id) FROM registry.load_runs)").fetchone()[0] == 0
    conn.rollback()
    # the next load marks the killed one abandoned, then succeeds
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the server notices the dead client
        res = None
        try:
            res = load_file(db_url, write_csv(tmp_path / "next.csv", [row()]), crs="wgs84",
                            full_refresh=False)
            break
        except LockedError:
            time.sleep(0.2)
    assert res is not None and res.status == "succeeded"
    statuses = [r[0] for r in conn.execute(
        "SELECT status FROM registry.load_runs ORDER BY load_run_id")]
    assert statuses == ["succeeded", "abandoned", "succeeded"]


def test_progress_is_quiet_for_cron(tmp_path, db_url):
    path = write_csv(tmp_path / "q.csv", [row()])
    r = run_cli("--quiet", "load", str(path), "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0 and r.output == ""
    r = run_cli("load", str(path), "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0 and "already loaded" in r.output
    # --quiet after the command, as the issue writes it: `load FILE ... --quiet`
    r = run_cli("load", str(path), "--crs", "wgs84", "--quiet", url=db_url)
    assert r.exit_code == 0 and r.output == ""
    r = run_cli("cluster", "-q", url=db_url)
    assert r.exit_code == 0 and r.output == ""


# -- districts -------------------------------------------------------------------------------
def test_district_boundaries_assign_enterprises(tmp_path, db_url, conn, shared_data):
    import eviltransform

    # a firm registered in Chancheng but geocoded inside Nanhai's Guicheng
    glat, glon = eviltransform.wgs2gcj(23.030, 113.150)
    r = row(所属区县="禅城区", 经度=f"{glon:.6f}", 纬度=f"{glat:.6f}")
    load_file(db_url, write_csv(tmp_path / "d.csv", [r, row()]), crs="gcj02")
    assert enterprise(conn, r["统一社会信用代码"])["district_name"] == "禅城区"  # no boundaries yet
    res = run_cli("load-districts", str(shared_data), "--crs", "gcj02", url=db_url)
    assert res.exit_code == 0, res.output
    assert "5 district boundaries" in res.output
    e = enterprise(conn, r["统一社会信用代码"])
    assert (e["district_code"], e["district_name"]) == ("440605", "南海区")
    area = conn.execute("SELECT sum(ST_Area(geom_proj)) / 1e6 FROM registry.districts").fetchone()[0]
    assert 3700 < area < 3900  # Foshan: ~3,800 km2
    # published at once: the boundaries, and the enterprise's new district
    assert conn.execute("SELECT count(*) FROM publish.districts").fetchone()[0] == 5
    assert conn.execute("SELECT district_name FROM publish.enterprises WHERE credit_code = %s",
                        (r["统一社会信用代码"],)).fetchone()[0] == "南海区"


def test_district_file_needs_name_and_code(tmp_path, db_url):
    import numpy as np
    import pyogrio
    import shapely

    poly = shapely.box(113.0, 23.0, 113.1, 23.1)
    path = tmp_path / "d.geojson"
    pyogrio.raw.write(path, shapely.to_wkb(np.array([poly])), [np.array(["x"], dtype=object)],
                  ["label"], geometry_type="Polygon", crs="EPSG:4326", driver="GeoJSON")
    assert_one_line_error(run_cli("load-districts", str(path), "--crs", "wgs84", url=db_url),
                          "which attribute", "--name-field")
    # a layer of names only: the message says how to load it, and that works
    assert_one_line_error(run_cli("load-districts", str(path), "--crs", "wgs84",
                                  "--name-field", "label", url=db_url),
                          "--code-field (a layer without codes: give its name attribute")
    r = run_cli("load-districts", str(path), "--crs", "wgs84", "--name-field", "label",
                "--code-field", "label", url=db_url)
    assert r.exit_code == 0 and "1 district boundaries" in r.output, r.output


def test_district_names_and_codes_are_trimmed_of_unicode_blanks(tmp_path, db_url, conn):
    import numpy as np
    import pyogrio
    import shapely

    polys = [shapely.box(113.0, 23.0, 113.1, 23.1), shapely.box(113.2, 23.0, 113.3, 23.1)]
    path = tmp_path / "d.geojson"
    pyogrio.raw.write(path, shapely.to_wkb(np.array(polys)),
                      [np.array(["\u3000禅城区\u00a0", "\u3000"], dtype=object),
                       np.array(["440604\u3000", "440605"], dtype=object)],
                      ["name", "adcode"], geometry_type="Polygon", crs="EPSG:4326",
                      driver="GeoJSON")
    r = run_cli("load-districts", str(path), "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0 and "1 district boundaries" in r.output, r.output
    assert conn.execute("SELECT code, name FROM registry.districts").fetchall() == [
        ("440604", "禅城区")]
    assert conn.execute("SELECT reason FROM registry.rejects WHERE load_run_id = "
                        "(SELECT max(load_run_id) FROM registry.load_runs)").fetchall() == [
        ("name_missing",)]


def test_district_boundaries_outside_the_region_are_rejected(tmp_path, db_url, conn):
    """Another city's boundaries (a wrong file, or a province's file) loaded without a
    word: every enterprise then fell in no district, and Table 1 lost its districts. A
    boundary with no point in the region extent (registry.settings) can hold no
    enterprise; it is rejected with a reason, and a file of only such boundaries is
    refused, keeping the previous ones. An empty layer said "attributes: ;"."""
    import numpy as np
    import pyogrio
    import shapely

    def write(name: str, boxes: list[tuple], codes: list[str]):
        path = tmp_path / name
        pyogrio.raw.write(path, shapely.to_wkb(np.array([shapely.box(*b) for b in boxes])),
                          [np.array(codes, dtype=object), np.array(codes, dtype=object)],
                          ["name", "adcode"], geometry_type="Polygon", crs="EPSG:4326",
                          driver="GeoJSON")
        return str(path)

    x0, y0, x1, y1 = conn.execute("SELECT region_xmin, region_ymin, region_xmax, region_ymax "
                                  "FROM registry.settings").fetchone()
    inside = (x0 + 0.1, y0 + 0.1, x0 + 0.2, y0 + 0.2)
    edge = (x1 - 0.05, y1 - 0.05, x1 + 0.5, y1 + 0.5)  # partly in the extent: kept
    beijing = (116.2, 39.8, 116.5, 40.0)
    # the outside feature's code comes again inside: that one is not a duplicate
    r = run_cli("load-districts", write("mixed.geojson", [inside, beijing, edge, inside],
                                       ["440604", "441900", "441900", "440604"]),
                "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0 and "2 district boundaries" in r.output, r.output
    assert "boundary_outside_region" in r.output
    assert conn.execute("SELECT code FROM registry.districts ORDER BY code").fetchall() == [
        ("440604",), ("441900",)]
    assert conn.execute("SELECT line_no, reason, raw ->> 'adcode' FROM registry.rejects "
                        "WHERE load_run_id = (SELECT max(load_run_id) "
                        "FROM registry.load_runs) ORDER BY line_no").fetchall() == [
        (2, "boundary_outside_region", "441900"), (4, "duplicate_district_code", "440604")]
    # the reject and the run name the region they were screened with: it can change later
    foshan = "Foshan (longitude 112.33 to 113.45, latitude 22.58 to 23.63)"
    assert conn.execute("SELECT r.message, l.region FROM registry.rejects r "
                        "JOIN registry.load_runs l USING (load_run_id) "
                        "WHERE r.reason = 'boundary_outside_region'").fetchall() == [
        (f"district feature 2: no point of it lies in the region {foshan}", foshan)]
    conn.commit()
    bj = write("bj.geojson", [beijing], ["110101"])
    assert_one_line_error(run_cli("load-districts", bj, "--crs", "wgs84", url=db_url),
                          "bj.geojson has no usable district polygon "
                          f"(boundary_outside_region 1): 1 lies outside the region {foshan}; "
                          "for boundaries of another city set its region first "
                          f"(industry-clusters db region --name NAME --extent-of {bj} "
                          "--crs wgs84); the previous boundaries are kept")
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    assert_one_line_error(run_cli("load-districts", str(empty), "--crs", "wgs84", url=db_url),
                          "empty.geojson has no features: expected district polygons")
    assert conn.execute("SELECT count(*) FROM registry.districts").fetchone()[0] == 2


def test_another_citys_registry_needs_its_region(tmp_path, db_url, conn):
    """Nothing but the default configuration may be Foshan's. A Quanzhou registry loaded
    into the default region was a load that succeeded with nothing accepted (every row
    coordinates_outside_region), and a nightly job went on to cluster nothing; the region
    could be changed only by an UPDATE of registry.settings. Now such a load fails and
    says how to set the region, `db region` sets it, and refuses a region where the
    projected SRID (fixed at db init) measures distances more than 1% wrong."""
    r = run_cli("db", "region", url=db_url)
    assert r.exit_code == 0 and "note:" not in r.output and r.output.startswith(
        "region: Foshan (longitude 112.33 to 113.45, latitude 22.58 to 23.63); SRID 4547"), r.output
    quanzhou = [row(经度=f"{118.55 + i / 1000:.6f}", 纬度="24.900000") for i in range(30)]
    path = write_csv(tmp_path / "quanzhou.csv", [*quanzhou, row()])  # one row in Foshan
    mixed = load_file(db_url, path, crs="wgs84")
    assert mixed.counts["accepted"] == 1  # a mix is a load
    # each reject names the region it was outside of: the region can change later
    foshan = "Foshan (longitude 112.33 to 113.45, latitude 22.58 to 23.63)"
    assert conn.execute("SELECT message FROM registry.rejects WHERE load_run_id = %s "
                        "ORDER BY line_no LIMIT 1", (mixed.load_run_id,)).fetchone()[0] == (
        f"(118.550000, 24.900000) is outside the region {foshan}")
    path = write_csv(tmp_path / "quanzhou.csv", quanzhou)
    assert_one_line_error(run_cli("load", str(path), "--crs", "wgs84", url=db_url),
                          "none of the 30 rows was accepted: 30 lie outside the region Foshan "
                          "(longitude 112.33 to 113.45, latitude 22.58 to 23.63); ", "db region --name NAME --extent",
                          "nothing loaded")
    assert conn.execute("SELECT status FROM registry.load_runs "
                        "ORDER BY load_run_id DESC LIMIT 1").fetchone()[0] == "failed"

    for args, fragments in (
            (("--name", "Urumqi", "--extent", "87,43,88,44"),  # 26 degrees west of CM 114E
             ("the projected SRID 4547 measures distances 5.", "wrong at the centre",
              "db init --srid 4538")),
            (("--extent", "119,24.5,118.2,25.3"), ("west must be less than east",)),
            (("--extent", "118.2,24.5,191,25.3"), ("west and east longitude from -180 to 180",)),
            (("--name", " "), ("give the region a name",))):
        assert_one_line_error(run_cli("db", "region", *args, url=db_url), *fragments)
    assert run_cli("db", "region", "--extent", "118,24", url=db_url).exit_code == 2
    assert conn.execute("SELECT region_name, region_xmin FROM registry.settings").fetchone() == (
        "Foshan", 112.33)  # each refusal changed nothing

    r = run_cli("db", "region", "--name", "Quanzhou", "--extent", "118.2,24.5,119,25.3",
                url=db_url)
    assert r.exit_code == 0, r.output
    # 4.6 degrees east of 4547's central meridian: Gauss-Krueger's scale there is about
    # 1 + (dlon cos lat)^2 / 2 = 1.0026; the zone of 120E is the one centred nearest
    dlon = math.radians(118.6 - 114) * math.cos(math.radians(24.9))
    shown = float(r.output.split("measures distances ")[1].split("%")[0]) / 100
    assert abs(shown - dlon ** 2 / 2) < 0.0002, r.output
    assert "SRID 4549 would be truer there" in r.output
    # the Foshan row of the mixed load: still active, and clustered, outside the region
    assert "note: 1 active enterprise lies outside it, loaded before the region changed" in (
        r.output)
    assert "lon_0=120" in conn.execute("SELECT proj4text FROM spatial_ref_sys "
                                       "WHERE srid = 4549").fetchone()[0]
    res = load_file(db_url, path, crs="wgs84", full_refresh=False)  # Foshan's row stays
    assert counts_add_up(conn, res.load_run_id)["accepted"] == 30
    # each run records the region it screened with; the earlier one keeps Foshan's
    assert conn.execute("SELECT load_run_id, region FROM registry.load_runs "
                        "WHERE load_run_id IN (%s, %s) ORDER BY 1",
                        (mixed.load_run_id, res.load_run_id)).fetchall() == [
        (mixed.load_run_id, foshan),
        (res.load_run_id, "Quanzhou (longitude 118.2 to 119, latitude 24.5 to 25.3)")]
    assert "region:         Quanzhou (longitude 118.2 to 119, latitude 24.5 to 25.3)" in run_cli(
        "db", "status", url=db_url).output
    assert "note: 1 active" in run_cli("db", "region", url=db_url).output
    load_file(db_url, path, crs="wgs84")  # a full load marks it inactive
    r = run_cli("db", "region", url=db_url)
    assert r.exit_code == 0 and "Quanzhou" in r.output and "note:" not in r.output, r.output


@pytest.mark.filterwarnings("ignore:'crs' was not provided")  # unlabelled.geojson
def test_region_from_the_citys_district_boundaries(tmp_path, db_url, conn):
    """Another city's extent need not be typed: db region --extent-of takes it from the
    district boundaries, 5 km wider each way, and load-districts then keeps them all."""
    import numpy as np
    import pyogrio
    import shapely

    def write(name: str, boxes: list[tuple], crs: str | None = "EPSG:4326") -> str:
        path = tmp_path / name
        pyogrio.raw.write(path, shapely.to_wkb(np.array([shapely.box(*b) for b in boxes])),
                          [np.array([f"d{i}" for i in range(len(boxes))], dtype=object)] * 2,
                          ["name", "adcode"], geometry_type="Polygon", crs=crs,
                          driver="GeoJSON")
        return str(path)

    boxes = [(118.3, 24.6, 118.6, 24.9), (118.6, 24.9, 118.9, 25.2)]
    quanzhou = write("quanzhou.geojson", boxes)
    r = run_cli("db", "region", "--name", "Quanzhou", "--extent-of", quanzhou,
                "--crs", "gcj02", url=db_url)
    assert r.exit_code == 0 and r.output.startswith("region set: Quanzhou (longitude"), r.output
    # every side of the boundaries' WGS-84 extent is 5 km to 5 km + 0.01 degree inside it
    margins = conn.execute(
        "SELECT ST_Distance(ST_MakePoint(b.w, m.y)::geography, ST_MakePoint(r.west, m.y)::geography),"
        " ST_Distance(ST_MakePoint(m.x, b.s)::geography, ST_MakePoint(m.x, r.south)::geography),"
        " ST_Distance(ST_MakePoint(b.e, m.y)::geography, ST_MakePoint(r.east, m.y)::geography),"
        " ST_Distance(ST_MakePoint(m.x, b.n)::geography, ST_MakePoint(m.x, r.north)::geography),"
        " b.w > r.west AND b.s > r.south AND b.e < r.east AND b.n < r.north"
        " FROM registry.region r, LATERAL (SELECT ST_XMin(x) w, ST_YMin(x) s, ST_XMax(x) e,"
        "   ST_YMax(x) n FROM (SELECT ST_Extent(publish.to_wgs84(ST_GeomFromText(g, 4326),"
        "   'gcj02')) x FROM unnest(%s::text[]) g) q) b,"
        " LATERAL (SELECT (b.w + b.e) / 2 x, (b.s + b.n) / 2 y) m",
        ([shapely.box(*b).wkt for b in boxes],)).fetchone()
    assert all(5000 <= d < 5000 + 1113 for d in margins[:4]) and margins[4], margins
    r = run_cli("load-districts", quanzhou, "--crs", "gcj02", url=db_url)
    assert r.exit_code == 0 and "2 district boundaries" in r.output, r.output

    assert run_cli("db", "region", "--extent", "118,24,119,25", "--extent-of", quanzhou,
                   url=db_url).exit_code == 2
    assert run_cli("db", "region", "--crs", "wgs84", url=db_url).exit_code == 2
    assert_one_line_error(run_cli("db", "region", "--extent-of", quanzhou, url=db_url),
                          "say which coordinate system")
    # the same boundaries in Web Mercator (an Amap layer reprojected) give the same region
    region = conn.execute("SELECT * FROM registry.region").fetchone()
    assert run_cli("db", "region", "--name", "elsewhere", "--extent", "118,24,119,25",
                   url=db_url).exit_code == 0
    mercator = [shapely.bounds(shapely.from_wkb(conn.execute(
        "SELECT ST_AsBinary(ST_Transform(ST_GeomFromText(%s, 4326), 3857))",
        (shapely.box(*b).wkt,)).fetchone()[0])) for b in boxes]
    r = run_cli("db", "region", "--name", "Quanzhou", "--extent-of",
                write("mercator.geojson", mercator, "EPSG:3857"), "--crs", "gcj02", url=db_url)
    assert r.exit_code == 0, r.output
    assert conn.execute("SELECT * FROM registry.region").fetchone() == region
    assert_one_line_error(run_cli("db", "region", "--extent-of",
                                  write("off.geojson", [(1e10, 0, 1e10 + 1000, 1000)],
                                        "EPSG:4547"), "--crs", "cgcs2000", url=db_url),
                          "off.geojson spans x 1e+10 to 1e+10, y 0 to 1000 in EPSG:4547, a "
                          "projected CRS, which PostGIS cannot unproject")
    metres = [(13_170_000, 2_860_000, 13_200_000, 2_890_000)]
    assert_one_line_error(run_cli("db", "region", "--extent-of",
                                  write("unlabelled.geojson", metres, None),
                                  "--crs", "wgs84", url=db_url),
                          "spans x 1.317e+07 to 1.32e+07", "not longitude/latitude")
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    assert_one_line_error(run_cli("db", "region", "--extent-of", str(empty), "--crs", "wgs84",
                                  url=db_url), "has no geometry to take an extent from")
    assert conn.execute("SELECT name FROM registry.region").fetchone()[0] == "Quanzhou"


def test_district_boundaries_with_heights_or_measures_load_flat(tmp_path, db_url, conn):
    """A Polygon Z (CAD, survey exports) failed the whole load with "Geometry has Z
    dimension but column does not"; a Polygon M was rejected as not a polygon."""
    import numpy as np
    import pyogrio
    import shapely

    ring = [(113.0, 23.0), (113.1, 23.0), (113.1, 23.1), (113.0, 23.1)]
    z = shapely.Polygon([(x, y, 5.0) for x, y in ring])
    m = shapely.from_wkt("POLYGON M ((113.2 23 1, 113.3 23 1, 113.3 23.1 1, 113.2 23 1))")
    path = tmp_path / "zm.geojson"
    pyogrio.raw.write(path, shapely.to_wkb(np.array([z]), output_dimension=3),
                      [np.array(["禅城区"], dtype=object), np.array(["440604"], dtype=object)],
                      ["name", "adcode"], geometry_type="Polygon Z", crs="EPSG:4326",
                      driver="GeoJSON")
    r = run_cli("load-districts", str(path), "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0 and "1 district boundaries" in r.output, r.output
    assert conn.execute("SELECT ST_NDims(geom), round(ST_XMax(geom)::numeric, 6)::float8 "
                        "FROM registry.districts").fetchone() == (2, 113.1)
    conn.commit()
    # pyogrio names no M layer type; an untyped GeoPackage layer keeps the ISO WKB's M
    path = tmp_path / "m.gpkg"
    pyogrio.raw.write(path, np.array([shapely.to_wkb(m, flavor="iso", output_dimension=4)],
                                     dtype=object),
                      [np.array(["南海区"], dtype=object), np.array(["440605"], dtype=object)],
                      ["name", "adcode"], geometry_type="Unknown", crs="EPSG:4326",
                      driver="GPKG")
    r = run_cli("load-districts", str(path), "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0 and "1 district boundaries" in r.output, r.output
    assert conn.execute("SELECT code, ST_NDims(geom) FROM registry.districts").fetchall() == [
        ("440605", 2)]


@pytest.mark.parametrize("kind, wkt, parts", [
    ("CURVEPOLYGON", "CURVEPOLYGON(COMPOUNDCURVE(CIRCULARSTRING(113.0 23.0, 113.05 22.98, "
     "113.1 23.0), (113.1 23.0, 113.1 23.1, 113.0 23.1, 113.0 23.0)))", 1),
    ("MULTISURFACE", "MULTISURFACE(CURVEPOLYGON(COMPOUNDCURVE(CIRCULARSTRING(113.0 23.0, "
     "113.05 22.98, 113.1 23.0), (113.1 23.0, 113.1 23.1, 113.0 23.1, 113.0 23.0))), "
     "((113.4 23.0, 113.5 23.0, 113.5 23.1, 113.4 23.0)))", 2),
])
def test_district_boundaries_with_curves_are_cut_into_segments(tmp_path, db_url, conn, kind,
                                                               wkt, parts):
    """ArcGIS writes true curves to a GeoPackage as CurvePolygon or MultiSurface. GDAL
    names such a layer Polygon but passes the curves on, and the whole load failed with
    "database error: ST_MakeValid: unsupported geometry type CurvePolygon"."""
    import sqlite3

    import numpy as np
    import pyogrio

    wkb = bytes(conn.execute("SELECT ST_AsBinary(ST_GeomFromText(%s))", (wkt,)).fetchone()[0])
    path = tmp_path / "districts.gpkg"
    pyogrio.raw.write(path, np.array([wkb], dtype=object),
                      [np.array(["禅城区"], dtype=object), np.array(["440604"], dtype=object)],
                      ["name", "adcode"], geometry_type="Unknown", crs="EPSG:4326",
                      driver="GPKG")
    with sqlite3.connect(path) as gpkg:  # the layer's type as GDAL or ArcGIS types it
        gpkg.execute("UPDATE gpkg_geometry_columns SET geometry_type_name = ?", (kind,))
    r = run_cli("load-districts", str(path), "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0 and "1 district boundaries" in r.output, r.output
    # the arc is followed, not its chord: a point under the chord is in the district
    assert conn.execute(
        "SELECT ST_NumGeometries(geom), ST_IsValid(geom), ST_NPoints(geom) > 20,"
        " ST_Covers(geom, ST_SetSRID(ST_Point(113.05, 22.99), 4326))"
        " FROM registry.districts").fetchone() == (parts, True, True, True)


@pytest.mark.parametrize("layer_type", ["GEOMETRYCOLLECTION", "GEOMETRY"])
def test_district_boundaries_in_geometry_collections_keep_their_polygons(tmp_path, db_url,
                                                                         conn, layer_type):
    """Overlay tools (QGIS's Intersection, ST_Intersection) write GeometryCollections where
    a cut leaves slivers of lines or points beside the polygon. Such a layer was refused
    ("holds GeometryCollection geometries"), or, untyped, its features were rejected as
    not polygons. The polygons are kept now; a collection without one is rejected."""
    import sqlite3

    import numpy as np
    import pyogrio

    wkts = ["GEOMETRYCOLLECTION(POLYGON((113.0 23.0, 113.1 23.0, 113.1 23.1, 113.0 23.1, "
            "113.0 23.0)), LINESTRING(113.1 23.0, 113.2 23.0), POINT(113.3 23.3))",
            "GEOMETRYCOLLECTION(LINESTRING(113.4 23.0, 113.5 23.0))"]
    wkbs = [bytes(conn.execute("SELECT ST_AsBinary(ST_GeomFromText(%s))", (w,)).fetchone()[0])
            for w in wkts]
    path = tmp_path / "cut.gpkg"
    pyogrio.raw.write(path, np.array(wkbs, dtype=object),
                      [np.array(["禅城区", "南海区"], dtype=object),
                       np.array(["440604", "440605"], dtype=object)],
                      ["name", "adcode"], geometry_type="Unknown", crs="EPSG:4326",
                      driver="GPKG")
    with sqlite3.connect(path) as gpkg:
        gpkg.execute("UPDATE gpkg_geometry_columns SET geometry_type_name = ?", (layer_type,))
    r = run_cli("load-districts", str(path), "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0 and "1 district boundaries" in r.output, r.output
    assert conn.execute(
        "SELECT code, GeometryType(geom), ST_NumGeometries(geom), "
        "round(ST_Area(geom)::numeric, 6)::float8 FROM registry.districts").fetchall() == [
        ("440604", "MULTIPOLYGON", 1, 0.01)]
    assert conn.execute(
        "SELECT line_no, reason FROM registry.rejects WHERE load_run_id = "
        "(SELECT max(load_run_id) FROM registry.load_runs)").fetchall() == [
        (2, "geometry_not_polygon")]


def test_a_boundary_postgis_cannot_use_is_rejected_not_the_whole_load(tmp_path, db_url, conn):
    """One feature whose ring is not closed (GDAL passes it on with a warning, and
    PostGIS refuses it: "Polygon must have at least four points in each ring"), or whose
    coordinates are not degrees (1e308), failed the whole load with a database error
    ("transform: Invalid coordinate" for the second). Each is now rejected with its
    reason and what was wrong; the good boundary loads. GDAL's warning is one line."""
    def feature(code, ring):
        return {"type": "Feature", "properties": {"name": f"区{code}", "adcode": code},
                "geometry": {"type": "Polygon", "coordinates": [ring]}}
    square = [[113.0, 23.0], [113.1, 23.0], [113.1, 23.1], [113.0, 23.1], [113.0, 23.0]]
    path = tmp_path / "districts.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        feature("440604", square),
        feature("440605", [[113.2, 23.0], [113.3, 23.0], [113.3, 23.1]]),  # not closed
        feature("440606", [[113.0, 23.0], [1e308, 23.0], [113.1, 23.1], [113.0, 23.0]]),
    ]}), encoding="utf-8")
    r = run_cli("load-districts", str(path), "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0, r.output
    assert "1 district boundaries loaded" in r.output and "'geometry_invalid': 2" in r.output
    assert "Warning: Non closed ring detected" in r.output and "readers.py" not in r.output
    assert conn.execute("SELECT code FROM registry.districts").fetchall() == [("440604",)]
    rejects = conn.execute(
        "SELECT line_no, reason, message FROM registry.rejects WHERE load_run_id = "
        "(SELECT max(load_run_id) FROM registry.load_runs) ORDER BY line_no").fetchall()
    assert [(n, reason) for n, reason, _ in rejects] == [(2, "geometry_invalid"),
                                                        (3, "geometry_invalid")]
    assert "at least four points" in rejects[0][2], rejects
    assert "1e+308" in rejects[1][2] and "not longitude and latitude" in rejects[1][2]


@pytest.mark.parametrize("written", ["gbk", "utf-8"])
@pytest.mark.parametrize("name_field", ["名称", "name"])
@pytest.mark.parametrize("zipped", [False, True])
def test_a_shapefile_without_a_cpg_file_is_read_in_its_encoding(tmp_path, db_url, conn,
                                                                 written, name_field, zipped):
    """Chinese shapefiles are often GBK without a .cpg file. GDAL's Arrow stream passed
    their bytes on undecoded, and load-districts printed a UnicodeDecodeError traceback
    (GDAL's plain reader took them as Latin-1: names like 'ìø³ÇÇø'). The .dbf's field
    names and records decide now, UTF-8 else GB18030; --encoding overrides."""
    import numpy as np
    import pyogrio
    import shapely

    path = tmp_path / "区县.shp"
    pyogrio.raw.write(path, shapely.to_wkb(np.array([shapely.box(113.0, 23.0, 113.1, 23.1)])),
                      [np.array(["禅城区"], dtype=object), np.array(["440604"], dtype=object)],
                      [name_field, "adcode"], geometry_type="Polygon", crs="EPSG:4326",
                      driver="ESRI Shapefile", encoding=written)
    path.with_suffix(".cpg").unlink()
    if zipped:  # as boundaries are handed around; GDAL reads the zip as it is
        import zipfile

        with zipfile.ZipFile(tmp_path / "区县.zip", "w") as z:
            for part in tmp_path.glob("区县.*"):
                if part.suffix != ".zip":
                    z.write(part, part.name)
        path = tmp_path / "区县.zip"
    r = run_cli("load-districts", str(path), "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0, r.output
    assert conn.execute("SELECT code, name FROM registry.districts").fetchall() == [
        ("440604", "禅城区")]
    detected = "gb18030" if written == "gbk" else "utf-8"
    assert conn.execute("SELECT encoding FROM registry.load_runs ORDER BY load_run_id DESC "
                        "LIMIT 1").fetchone()[0] == detected
    conn.commit()
    if written == "gbk":  # read as UTF-8, its field names or its values do not decode
        where = "in its field names" if name_field == "名称" else "in features 1 to 1"
        assert_one_line_error(run_cli("load-districts", str(path), "--crs", "wgs84",
                                      "--encoding", "utf-8", url=db_url),
                              f"{path.name}: the text of layer '区县' is not utf-8", where,
                              "--encoding (gb18030 for GBK)")


def test_district_layer_is_found_or_asked_for(tmp_path, db_url, conn):
    """A multi-layer file: its only polygon layer is taken; with two polygon layers, or a
    layer of points or of no geometry, the error names the polygon layers."""
    import numpy as np
    import pyogrio
    import shapely

    path = tmp_path / "many.gpkg"

    def write(layer, geoms, gtype):
        pyogrio.raw.write(path, shapely.to_wkb(np.array(geoms)) if geoms else None,
                          [np.array(["440604"], dtype=object), np.array(["禅城区"], dtype=object)],
                          ["adcode", "name"], layer=layer, geometry_type=gtype,
                          crs="EPSG:4326" if geoms else None, driver="GPKG", append=True)

    write("firms", [shapely.Point(113.1, 23.0)], "Point")
    write("notes", None, None)
    write("chancheng", [shapely.box(113.0, 22.9, 113.2, 23.1)], "Polygon")
    r = run_cli("load-districts", str(path), "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0 and "1 district boundaries" in r.output, r.output
    assert conn.execute("SELECT code, name FROM registry.districts").fetchall() == \
        [("440604", "禅城区")]
    conn.commit()
    write("nanhai", [shapely.box(112.9, 22.9, 113.0, 23.1)], "Polygon")
    for args, fragments in [((), ("has 4 layers; pass --layer",
                                  "polygon layers: chancheng, nanhai")),
                            (("--layer", "firms"), ("'firms' of many.gpkg holds Point",
                                                    "polygon layers: chancheng, nanhai")),
                            (("--layer", "notes"), ("'notes' of many.gpkg has no geometry",)),
                            (("--layer", "nope"), ("has no layer 'nope'",))]:
        assert_one_line_error(run_cli("load-districts", str(path), "--crs", "wgs84", *args,
                                      url=db_url), *fragments)
    r = run_cli("load-districts", str(path), "--crs", "wgs84", "--layer", "nanhai", url=db_url)
    assert r.exit_code == 0, r.output


def test_parsers_are_usable_one_value_at_a_time(conn):
    """The per-value SQL functions analysts call give what the set-based screening uses."""
    rate = conn.execute("SELECT cny_per_unit FROM registry.currency_rates "
                        "WHERE currency = 'USD'").fetchone()[0]
    got = conn.execute(
        "SELECT c.raw, p.* FROM unnest(%s::text[]) WITH ORDINALITY AS c(raw, o) "
        "CROSS JOIN LATERAL registry.parse_capital(c.raw) p ORDER BY c.o",
        (["1,200 万元", "50万美元", "0", "", "abc", "5万火星币"],)).fetchall()
    assert got[0][1:] == (12_000_000, "CNY", 12_000_000, None)
    assert got[1][1:] == (500_000, "USD", 500_000 * rate, None)
    assert [g[4] for g in got[2:]] == ["zero", "missing", "unparseable",
                                      'unknown currency "火星币"']
    sizes = conn.execute(
        "SELECT p.* FROM (VALUES ('小型', 1e6, 1), (NULL, 3.56e6, 2), ('??', NULL, 3), "
        "('', 1e9, 4)) v(g, c, o) CROSS JOIN LATERAL registry.size_class_for(v.g, v.c) p "
        "ORDER BY v.o").fetchall()
    assert sizes == [("small", "file"), ("small", "derived"), (None, None),
                     ("large", "derived")]
    staff = conn.execute(
        "SELECT array_agg(registry.parse_employees(v) ORDER BY o) FROM unnest(%s::text[]) "
        "WITH ORDINALITY AS t(v, o)",
        (["12", "12人", " 1,200 ", "12.0", "0", "-", "暂无", "50-99人", "1,20"],)).fetchone()[0]
    assert staff == [12, 12, 1200, 12, 0, None, None, None, None]
    assert conn.execute("SELECT * FROM registry.size_class_for(NULL, 1e9, 15, 2::smallint)"
                        ).fetchone() == ("small", "employees")


@pytest.mark.parametrize("raw, amount, currency, problem", [
    # the currency first, as a licence writes it; a 元 after it is the unit's name
    ("人民币500万元", 5_000_000, "CNY", None), ("人民币 1,200 万元", 12_000_000, "CNY", None),
    ("美元50万", 500_000, "USD", None), ("US$50万", 500_000, "USD", None),
    ("USD 50万", 500_000, "USD", None), ("￥500万", 5_000_000, "CNY", None),
    ("HK$100万", 1_000_000, "HKD", None), ("人民币500", 500, "CNY", None),
    # 整 / 正 ("exactly") after the amount
    ("500万元整", 5_000_000, "CNY", None), ("500万元人民币整", 5_000_000, "CNY", None),
    ("500万港币整", 5_000_000, "HKD", None), ("500万圆整", 5_000_000, "CNY", None),
    # Chinese numerals, formal and small
    ("人民币伍佰万元整", 5_000_000, "CNY", None), ("壹亿贰仟万元", 120_000_000, "CNY", None),
    ("壹仟零伍万元正", 10_050_000, "CNY", None), ("一千万元", 10_000_000, "CNY", None),
    ("十万元", 100_000, "CNY", None), ("两亿元", 200_000_000, "CNY", None),
    ("五百万美金", 5_000_000, "USD", None), ("伍佰", 5_000_000, "CNY", None),  # bare: 万元
    # a multiplier after digits
    ("5千万元", 50_000_000, "CNY", None), ("1.5亿", 150_000_000, "CNY", None),
    # still irregular, with the reason
    ("五五万元", None, "CNY", "unparseable"), ("人民币", None, "CNY", "unparseable"),
    ("零元", None, "CNY", "zero"), ("-500万", None, "CNY", "negative"),
    ("约500万元", None, None, 'unknown currency "约"'),
    ("500万整数", None, None, 'unknown currency "整数"'),
])
def test_capital_as_licences_write_it(conn, raw, amount, currency, problem):
    """Registered capital written the way business licences and notarised forms write
    it was capital_irregular, and the firm rejected: the currency before the amount,
    整 after it, Chinese numerals, a multiplier such as 千万 after digits."""
    got = conn.execute("SELECT amount, currency, amount_cny, problem "
                       "FROM registry.parse_capital(%s)", (raw,)).fetchone()
    assert (got[0], got[1], got[3]) == (amount, currency, problem)
    if amount is not None:
        rate = conn.execute("SELECT cny_per_unit FROM registry.currency_rates "
                            "WHERE currency = %s", (currency,)).fetchone()[0]
        assert got[2] == amount * rate


@pytest.mark.parametrize("numerals, value", [
    ("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("一百零五", 105), ("一百零十", 110),
    ("壹仟零伍", 1005), ("伍佰万", 5_000_000), ("十二万三千", 123_000),
    ("一亿二千万", 120_000_000), ("一万亿", 10**12), ("貳拾萬", 200_000), ("〇", 0),
    ("五五", None), ("二〇二四", None), ("万", None), ("亿", None), ("五x", None),
    ("玖佰玖拾玖", 999), ("两千", 2000), ("陸億", 600_000_000), ("柒仟捌佰", 7800),
    # an ASCII digit is no numeral (the list writes each value after its character)
    ("5", None), ("五5", None), ("5十", None),
])
def test_chinese_numerals(conn, numerals, value):
    assert conn.execute("SELECT registry.chinese_numeral(%s)", (numerals,)).fetchone()[0] == value


def test_a_licence_style_capital_loads(tmp_path, db_url, conn):
    """The loader accepts such capitals, and rejects what is still irregular."""
    ok = [row(注册资本="人民币伍佰万元整", 企业规模=""), row(注册资本="500万元整", 企业规模=""),
          row(注册资本="人民币2,000万元", 企业规模="")]
    bad = row(注册资本="约500万元")
    res = load_file(db_url, write_csv(tmp_path / "c.csv", [*ok, bad]), crs="wgs84")
    counts = counts_add_up(conn, res.load_run_id)
    assert counts["accepted"] == 3 and counts["by_reason"] == {"capital_irregular": 1}
    got = [enterprise(conn, r["统一社会信用代码"]) for r in ok]
    assert [(g["capital_cny"], g["size_class"], g["capital_raw"]) for g in got] == [
        (5_000_000, "small", "人民币伍佰万元整"), (5_000_000, "small", "500万元整"),
        (20_000_000, "medium", "人民币2,000万元")]
    assert conn.execute("SELECT message FROM registry.rejects WHERE load_run_id = %s",
                        (res.load_run_id,)).fetchone()[0].find('"约"') >= 0


@pytest.mark.parametrize("given, size", [
    ("小型", "small"), ("小型企业", "small"), ("XS", "micro"),
    # Qichacha's spelling: a code and its name in brackets, either way round
    ("S(小型)", "small"), ("XS(微型)", "micro"), ("L（大型）", "large"), ("M (中型)", "medium"),
    ("小型(S)", "small"),
    # the two must agree; small-or-micro is no one class
    ("S(大型)", None), ("S(其他)", None), ("小微企业", None), ("(小型)", None), ("-", None),
])
def test_size_class_spellings(conn, given, size):
    assert conn.execute("SELECT registry.size_class_given(%s)", (given,)).fetchone()[0] == size


def test_a_size_class_with_its_code_in_brackets_decides(tmp_path, db_url, conn):
    """企业规模 S(小型), as Qichacha writes it, was an unknown spelling: the capital
    decided, and a small firm with 5,000万 of registered capital counted as large."""
    r = row(企业规模="S(小型)", 注册资本="5000万人民币")
    load_file(db_url, write_csv(tmp_path / "z.csv", [r]), crs="wgs84")
    got = enterprise(conn, r["统一社会信用代码"])
    assert (got["size_class"], got["size_class_source"]) == ("small", "file")


def test_loads_after_boundaries_locate_each_firm(tmp_path, db_url, conn, shared_data):
    """With boundaries loaded, the loader itself finds each firm's district; a firm outside
    every boundary keeps its registered district and no code."""
    import eviltransform

    res = run_cli("load-districts", str(shared_data), "--crs", "gcj02", url=db_url)
    assert res.exit_code == 0, res.output
    inside = eviltransform.wgs2gcj(23.030, 113.150)   # Guicheng, Nanhai
    outside = eviltransform.wgs2gcj(23.400, 113.400)  # 28 km off Foshan, inside the region
    a = row(所属区县="禅城区", 经度=f"{inside[1]:.6f}", 纬度=f"{inside[0]:.6f}")
    b = row(所属区县="禅城区", 经度=f"{outside[1]:.6f}", 纬度=f"{outside[0]:.6f}")
    h = row(所属区县="顺德区", 登记状态="注销", 经度=f"{inside[1]:.6f}", 纬度=f"{inside[0]:.6f}")
    load_file(db_url, write_csv(tmp_path / "l.csv", [a, b, h]), crs="gcj02")
    got = {k: (enterprise(conn, r["统一社会信用代码"])["district_code"],
               enterprise(conn, r["统一社会信用代码"])["district_name"])
           for k, r in {"a": a, "b": b, "h": h}.items()}
    assert got == {"a": ("440605", "南海区"), "b": (None, "禅城区"),
                   "h": ("440605", "南海区")}  # history rows are located too


def test_district_lookup_by_grid_cells_matches_the_boundaries(tmp_path, db_url, conn,
                                                             shared_data):
    """The loader finds districts through grid cells; for points on cell edges and
    corners, and scattered over the city and its borders, it gives what a direct
    point-in-polygon test on registry.districts gives (lowest code on a shared edge)."""
    import random

    res = run_cli("load-districts", str(shared_data), "--crs", "gcj02", url=db_url)
    assert res.exit_code == 0, res.output
    rnd = random.Random(5)
    g = conn.execute("SELECT registry.district_grid()").fetchone()[0]
    pts = [(round(113.0 + i * g, 6), round(23.0 + j * g, 6)) for i in range(-8, 9, 2)
           for j in range(-8, 9, 2)]                               # cell corners
    pts += [(round(113.0 + i * g, 6), 22.9 + rnd.random() * 0.3) for i in range(-30, 30)]  # edges
    pts += [(112.4 + rnd.random() * 1.0, 22.65 + rnd.random() * 0.9) for _ in range(300)]
    rows = [row(经度=f"{x:.6f}", 纬度=f"{y:.6f}") for x, y in pts]
    load_file(db_url, write_csv(tmp_path / "g.csv", rows), crs="wgs84")
    mismatch_sql = (
        "SELECT count(*), count(*) FILTER (WHERE e.district_code IS NOT NULL) "
        "FROM registry.enterprises e WHERE e.district_code IS DISTINCT FROM "
        "(SELECT min(d.code) FROM registry.districts d WHERE ST_Intersects(d.geom, e.geom))")
    mismatched = conn.execute(mismatch_sql).fetchone()
    located = conn.execute("SELECT count(DISTINCT district_code), count(*) "
                           "FROM registry.enterprises").fetchone()
    assert mismatched == (0, 0)
    assert located[0] == 5 and located[1] == len(pts)
    # load-districts assigns every enterprise again (registry.assign_districts), the
    # same way: clear the codes, reload the boundaries, compare again
    conn.execute("UPDATE registry.enterprises SET district_code = NULL")
    conn.commit()
    res = run_cli("load-districts", str(shared_data), "--crs", "gcj02", url=db_url)
    assert res.exit_code == 0, res.output
    assert conn.execute(mismatch_sql).fetchone() == (0, 0)
    assert conn.execute("SELECT count(district_code) FROM registry.enterprises").fetchone()[0] \
        > len(pts) // 2


def test_the_file_is_closed_after_a_server_parsed_load(tmp_path, db_url, conn):
    """The server parses a clean CSV itself; the handle the Python reader opened on it is
    closed, not left to the garbage collector (which warns of an unclosed file)."""
    import gc
    import warnings

    path = write_csv(tmp_path / "closed.csv", [row(), row()])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        res = load_file(db_url, path, crs="wgs84")
        gc.collect()
    assert parser_of(conn, res.load_run_id) == "server"
    assert [str(w.message) for w in caught
            if issubclass(w.category, ResourceWarning) and "closed.csv" in str(w.message)] == []


def test_reject_keys_are_checked_per_statement(tmp_path, db_url, conn):
    """The rejects' keys (load run, reason code) are statement triggers, not foreign
    keys: still refused when wrong, deleted with their load run, and a reason code in
    use cannot go."""
    res = load_file(db_url, write_csv(tmp_path / "a.csv", [row(), row(注册资本="")]), crs="wgs84")
    run = res.load_run_id
    assert conn.execute("SELECT count(*) FROM registry.rejects WHERE load_run_id = %s",
                        (run,)).fetchone()[0] == 1
    bad = [("INSERT INTO registry.rejects (load_run_id, line_no, reason, message, raw) "
            "VALUES (%s, 1, 'no_such_reason', 'm', '{}')", (run,), "registry.reason_codes"),
           ("INSERT INTO registry.rejects (load_run_id, line_no, reason, message, raw) "
            "VALUES (%s, 1, 'capital_irregular', 'm', '{}')", (run + 1000,), "registry.load_runs"),
           ("UPDATE registry.rejects SET reason = 'no_such_reason' WHERE load_run_id = %s",
            (run,), "registry.reason_codes")]
    for stmt, args, table in bad:
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match=f"is not a key of {table}"):
            conn.execute(stmt, args)
        conn.rollback()
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="still referenced"):
        conn.execute("DELETE FROM registry.reason_codes WHERE reason = 'capital_irregular'")
    conn.rollback()
    conn.execute("DELETE FROM registry.load_runs WHERE load_run_id = %s", (run,))
    assert conn.execute("SELECT count(*) FROM registry.rejects WHERE load_run_id = %s",
                        (run,)).fetchone()[0] == 0
    conn.rollback()
    # the referenced rows are locked as a foreign key locks them: while a transaction
    # holds a new reject, another cannot delete its reason code (it would wait)
    conn.execute("INSERT INTO registry.reason_codes VALUES ('test_only', 'x')")
    conn.commit()
    conn.execute("INSERT INTO registry.rejects (load_run_id, line_no, reason, message, raw) "
                 "VALUES (%s, 9, 'test_only', 'm', '{}')", (run,))
    with psycopg.connect(db_url) as other:
        other.execute("SET lock_timeout = '500ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            other.execute("DELETE FROM registry.reason_codes WHERE reason = 'test_only'")
    conn.rollback()
    conn.execute("DELETE FROM registry.reason_codes WHERE reason = 'test_only'")
    conn.commit()
