"""Registered capital as licences and notarised forms write it: the currency first
(人民币500万元, US$50万, ￥500万), 整 after the amount (500万元整), Chinese numerals
(人民币伍佰万元整, 一千万元) and multipliers after digits (5千万元). Each was
capital_irregular, so the firm was rejected. New: registry.numeral_unit,
registry.multiplier, registry.chinese_numeral; currency aliases 圆, ¥, ￥, us$, 美金, hk$.

Revision ID: 0089
Revises: 0088
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0089"
down_revision = "0088"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/020_rules.sql", "load/030_parsers.sql")


def downgrade() -> None:
    # Nothing to undo: every revision re-runs the current sql/ files. The functions go
    # with the loader's first revision (load/000_drop.sql); the aliases are rows a user
    # may edit, and stay.
    pass
