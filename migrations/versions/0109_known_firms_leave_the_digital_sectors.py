"""A file's row for a known enterprise that is operating but in no digital sector (its
industry or business scope changed; rejected as non_digital) takes it out of the active
enterprises, as a closed one is, under --incremental too: it stayed active (and
clustered) there, and a full refresh marked it missing. registry.enterprises gets
inactive_reason (closed, non_digital or missing), filled for the enterprises inactive
before it and checked by a constraint; an incremental load that would deactivate more
than half of the active enterprises is refused as a full refresh is
(registry.merge_load's active_before).

Revision ID: 0109
Revises: 0108
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0109"
down_revision = "0108"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "load/040_screen.sql", "load/090_inactive_reason.sql",
              "schema/090_grants.sql")


def downgrade() -> None:
    # Nothing to undo: the code of revision 0108 calls merge_load with the same
    # arguments, and the functions of this revision, which stay, write inactive_reason
    # as the constraint asks. (The guard of 0108 ignores an incremental load's count.)
    pass
