"""A rejected row is found by its row in the file, as Excel or WPS numbers the rows
(registry.rejects.file_row, the rejects CSV's reject_row): a sheet's row, a CSV's
counting its title lines, header and blank lines. The rejects gave the record number
only, which is off by the rows above the first record (three in a workbook with a title,
a blank row and the header) and by every blank row before it.
registry.load_runs.rows_above keeps each part's rows above its first record, for the
rows the server parsed; registry.reject_records gives "row" too.

Revision ID: 0105
Revises: 0104
Create Date: 2026-11-25
"""

from industry_clusters.db.migrate import run_files

revision = "0105"
down_revision = "0104"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_files("schema/020_registry.sql", "load/040_screen.sql", "load/050_districts.sql",
              "load/080_rejects.sql", "schema/090_grants.sql")


def downgrade() -> None:
    # Nothing to undo: the two columns are ignored by the code of revision 0104, and
    # registry.reject_records keeps its arguments and the columns it had.
    pass
