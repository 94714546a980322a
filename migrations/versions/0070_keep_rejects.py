"""Retention of the rejected rows: registry.prune_rejects(keep) deletes the rejects of
the registry loads older than the newest ``keep`` succeeded ones, which keep their
counts and record when (load_runs.rejects_pruned_at). The nightly job runs it
(--keep-rejects, 30 loads by default): every night's load recorded its rejects again,
and registry.rejects grew without bound.

Revision ID: 0070
Revises: 0069
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0070"
down_revision = "0069"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("load/060_prune_rejects.sql", "schema/090_grants.sql")


def downgrade() -> None:
    run_files("load/000_drop_prune_rejects.sql")
