"""Alembic environment for industry-clusters.

Normally driven by ``industry-clusters db upgrade`` (which passes a live connection in
``config.attributes["connection"]``). Run as plain ``alembic -c migrations/alembic.ini``
it resolves the database like the CLI does (DATABASE_URL, PG*, local cluster).
"""

from alembic import context

from industry_clusters.db import migrate

config = context.config
connection = config.attributes.get("connection")
if "upgrading" not in config.attributes:  # plain alembic: run_files makes tables first
    _cmd = getattr(getattr(config, "cmd_opts", None), "cmd", None)
    config.attributes["upgrading"] = bool(_cmd) and _cmd[0].__name__ == "upgrade"


def run(conn) -> None:
    context.configure(connection=conn, target_metadata=None, transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) mode is not supported: SQL files are run on a live database")
if connection is not None:
    run(connection)
else:
    with migrate.engine(None).connect() as conn:
        run(conn)
