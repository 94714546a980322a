"""The publish schema is the analysts' interface: its relations, their columns and types,
and its functions' signatures are pinned in ``tests/publish_contract.txt``. A change to
any of them fails here until the file is updated with it, so that a renamed column or a
changed type, which breaks the analysts' saved queries and QGIS projects, is a reviewed
change (and a line in the README), never a side effect.

After a deliberate change: ``pytest tests/test_publish_contract.py --update-contract``,
then review the file's diff."""

from __future__ import annotations

import difflib
from pathlib import Path

CONTRACT = Path(__file__).with_name("publish_contract.txt")
HEADER = ("# The publish schema as analysts and QGIS see it (tests/test_publish_contract.py).\n"
          "# {srid} is the projected SRID chosen at db init. Regenerate after a deliberate\n"
          "# change with: pytest tests/test_publish_contract.py --update-contract\n")


def current_contract(conn) -> str:
    srid = conn.execute("SELECT projected_srid FROM registry.settings").fetchone()[0]
    relations = conn.execute("""
        SELECT format('%s %s: %s %s', CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table'
                                                     WHEN 'v' THEN 'view'
                                                     WHEN 'm' THEN 'materialized view'
                                                     WHEN 'c' THEN 'type' END,
                      c.relname, a.attname, format_type(a.atttypid, a.atttypmod))
          FROM pg_class c
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE c.relnamespace = 'publish'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'c')
         ORDER BY c.relname, a.attnum""").fetchall()
    functions = conn.execute("""
        SELECT format('function %s -> %s', p.oid::regprocedure, pg_get_function_result(p.oid))
          FROM pg_proc p WHERE p.pronamespace = 'publish'::regnamespace
         ORDER BY 1""").fetchall()
    lines = [r[0].replace(f",{srid})", ",{srid})") for r in relations + functions]
    return HEADER + "\n".join(lines) + "\n"


def test_the_publish_schema_is_the_contract(conn, request):
    now = current_contract(conn)
    if request.config.getoption("--update-contract"):
        CONTRACT.write_text(now, encoding="utf-8")
    pinned = CONTRACT.read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(pinned.splitlines(True), now.splitlines(True),
                                        "tests/publish_contract.txt", "the database"))
    assert not diff, ("the publish schema changed; if that is meant, run pytest "
                      "tests/test_publish_contract.py --update-contract and say it in the "
                      "README:\n" + diff)
