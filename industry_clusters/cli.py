"""The ``industry-clusters`` command: a thin click layer over the Python API.

Each command parses options and calls one API function. Expected failures
(:class:`UserError`, database errors) print one line ``Error: ...`` and exit 1;
usage errors exit 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import click
import psycopg

from industry_clusters import __version__
from industry_clusters.config import local_pgdata, redact, resolve
from industry_clusters.errors import UserError


class _Group(click.Group):
    """A group that turns expected failures into one line and exit 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UserError as exc:
            raise click.ClickException(redact(str(exc))) from None
        except psycopg.Error as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise click.ClickException(redact(f"database error: {first}")) from None


@dataclass
class App:
    database_url: str | None
    quiet: bool

    @property
    def target(self):
        return resolve(self.database_url)

    def say(self, msg: str = "", **kw) -> None:
        if not self.quiet:
            click.echo(msg, **kw)


pass_app = click.make_pass_decorator(App)


def group(**kw):
    return click.group(cls=_Group, **kw)


@group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.option("--database-url", metavar="URL",
              help="PostgreSQL URL. Default: $DATABASE_URL, else libpq's PG* variables / "
                   "pg_service.conf, else the project-local cluster (db start).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (for cron).")
@click.version_option(__version__, prog_name="industry-clusters")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, quiet: bool) -> None:
    """Find industrial clusters in enterprise registry data with PostGIS.

    The data flows load -> cluster -> publish (refresh) -> export.
    """
    ctx.obj = App(database_url, quiet)


# -- db ------------------------------------------------------------------------
@group(name="db")
def db_group() -> None:
    """Manage the database: local cluster, PostGIS, schema migrations."""


cli.add_command(db_group)


def _local():
    from industry_clusters.db.localdb import LocalCluster

    return LocalCluster(local_pgdata())


@db_group.command("start")
@pass_app
def db_start(app: App) -> None:
    """Start the project-local PostgreSQL cluster (.pgdata/), creating it if needed."""
    local = _local()
    local.start()
    app.say(f"local PostgreSQL running in {local.datadir} (socket {local.socketdir})")


@db_group.command("stop")
@pass_app
def db_stop(app: App) -> None:
    """Stop the project-local PostgreSQL cluster."""
    local = _local()
    local.stop()
    app.say(f"local PostgreSQL in {local.datadir} stopped")


@db_group.command("status")
@pass_app
def db_status(app: App) -> None:
    """Say which database is used, its PostGIS version and schema revision."""
    from industry_clusters.db import migrate

    st = migrate.status(app.target)
    click.echo(f"database:       {st.database}")
    click.echo(f"server:         PostgreSQL {st.server_version}")
    click.echo(f"postgis:        {st.postgis_version or 'not enabled (run db init)'}")
    click.echo(f"schema:         {st.revision or 'not initialised'} "
               f"({'up to date' if st.up_to_date else 'code is at ' + st.head})")
    if st.srid:
        click.echo(f"projected SRID: {st.srid}")


@db_group.command("init")
@click.option("--srid", type=int, default=None,
              help="Projected SRID (metres) for clustering; fixed at first init. [default: 4547]")
@pass_app
def db_init(app: App, srid: int | None) -> None:
    """Create PostGIS (if allowed), schemas, roles and tables. Harmless to repeat."""
    from industry_clusters.db import migrate

    migrate.init(app.target, srid)
    st = migrate.status(app.target)
    app.say(f"{st.database}: PostGIS {st.postgis_version}, schema {st.revision}, "
            f"SRID {st.srid}")


@db_group.command("upgrade")
@click.argument("revision", default="head")
@pass_app
def db_upgrade(app: App, revision: str) -> None:
    """Upgrade the schema to REVISION."""
    from industry_clusters.db import migrate

    migrate.upgrade(app.target, revision)
    app.say(f"schema at {migrate.status(app.target).revision}")


@db_group.command("downgrade")
@click.argument("revision", default="-1")
@pass_app
def db_downgrade(app: App, revision: str) -> None:
    """Downgrade the schema to REVISION ('base' drops everything)."""
    from industry_clusters.db import migrate

    migrate.downgrade(app.target, revision)
    app.say(f"schema at {migrate.status(app.target).revision or 'base (empty)'}")


def main(*args, **kwargs):
    return cli.main(*args, **kwargs)


