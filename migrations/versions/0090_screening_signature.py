"""A file already loaded is loaded again when what the screening reads besides the file
changed since: the rule tables, the region, the loader's functions
(registry.screening_signature, recorded in registry.load_runs.screening). Before, an
edited rule, a new region or an upgrade that changed the parsers (0089) applied only to
the next file whose content differed, or with --force.

Revision ID: 0090
Revises: 0089
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0090"
down_revision = "0089"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "load/040_screen.sql")


def downgrade() -> None:
    # Nothing to undo: every revision re-runs the current sql/ files. The functions go
    # with the loader's first revision (load/000_drop.sql); the column stays, NULL in
    # every row the older code writes.
    pass
