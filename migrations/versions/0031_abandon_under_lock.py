"""registry.abandon_dead_runs(job) is called once the job holds its advisory lock, and
marks every run of that job's kind still 'running' abandoned: a killed process frees
its lock before it leaves pg_stat_activity, and a job starting in that moment took the
dead run for alive and left it 'running'.

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-24
"""

from industry_clusters.db.migrate import run_files

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/040_run_log.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # The CLI of this revision calls the function with the job; the base downgrade
    # (schema/000_drop.sql) drops it with the schema.
    pass
