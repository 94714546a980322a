"""The ``industry-clusters`` command: a thin click layer over the Python API.

Each command parses options and calls one API function. Expected failures
(:class:`UserError`, database errors) print one line ``Error: ...`` and exit 1;
usage errors exit 2.
"""

from __future__ import annotations

import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import click
import psycopg

from industry_clusters import __version__
from industry_clusters.cluster import LABEL_METHODS, TIER_METHODS
from industry_clusters.config import local_pgdata, redact, resolve
from industry_clusters.errors import (
    Terminated,
    UserError,
    first_line,
    quiet_cleanup_errors,
    stop_on_signals,
)
from industry_clusters.export import EXPORT_CRS
from industry_clusters.export import FORMATS as EXPORT_FORMATS
from industry_clusters.export import LAYERS as EXPORT_LAYERS
from industry_clusters.load import CRS_CHOICES
from industry_clusters.load.readers import ENCODINGS, FORMATS
from industry_clusters.paths import as_text
from industry_clusters.publish import STATS_VIEWS

QUIET_HELP = "Print nothing but errors (for cron)."


def _set_quiet(ctx: click.Context, _param, value: bool) -> None:
    if value:
        ctx.find_object(App).quiet = True


def quiet_option() -> click.Option:
    return click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, is_eager=True,
                        callback=_set_quiet, help=QUIET_HELP)


class _Command(click.Command):
    """A command that also takes -q/--quiet itself (``load FILE --quiet``), as the
    top-level group does (``--quiet load FILE``): a cron line may put it either way."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.params.append(quiet_option())


def one_line(message: str) -> str:
    """A message as one printable line: a library's line breaks become "; ", and control
    characters (a vertical tab in a file's header, say) are shown as \\xNN."""
    joined = "; ".join(ln.strip() for ln in as_text(message).replace("\r\n", "\n")
                       .split("\n") if ln.strip())
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), joined)


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class _Group(click.Group):
    """A group that turns expected failures into one line and exit 1."""

    command_class = _Command

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UserError as exc:
            raise click.ClickException(redact(one_line(str(exc)))) from None
        except psycopg.Error as exc:
            first = first_line(exc)
            if isinstance(exc, psycopg.errors.InsufficientPrivilege):
                first += ("; loads, runs and refreshes need a role granted "
                          "industry_clusters_loader (the reader role reads publish only)")
            raise click.ClickException(redact(one_line(f"database error: {first}"))) from None
        except OSError as exc:  # a file's disk, not our code: one line, not a traceback
            where = f" ({exc.filename})" if exc.filename else ""
            raise click.ClickException(one_line(
                f"{exc.strerror or exc}{where}; check the file, its disk and its "
                "permissions, then run the command again")) from None


@dataclass
class App:
    database_url: str | None
    quiet: bool

    @property
    def target(self):
        return resolve(self.database_url)

    def say(self, msg: str = "", **kw) -> None:
        if not self.quiet:
            click.echo(as_text(msg), **kw)

    def notify(self, msg: str) -> None:
        """What a command waits for, on stderr (a wait is not an error)."""
        self.say(msg, err=True)


pass_app = click.make_pass_decorator(App)


def stdin_is_terminal() -> bool:
    """Whether someone can answer a question (not cron, a pipe or a script)."""
    return sys.stdin is not None and sys.stdin.isatty()


def group(**kw):
    return click.group(cls=_Group, **kw)


@group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.option("--database-url", metavar="URL",
              help="PostgreSQL URL. Default: $DATABASE_URL, else libpq's PG* variables / "
                   "pg_service.conf, else the project-local cluster (db start).")
@click.option("-q", "--quiet", is_flag=True, help=QUIET_HELP)
@click.version_option(__version__, prog_name="industry-clusters")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, quiet: bool) -> None:
    """Find industrial clusters in enterprise registry data with PostGIS.

    The data flows load -> cluster -> publish (refresh) -> export.
    """
    ctx.obj = App(database_url, quiet)
    warnings.showwarning = _warning_line


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """A library's warning as one line "Warning: ...": GDAL's, through pyogrio, came
    with Python's file name and source line ("readers.py:792: RuntimeWarning: Non closed
    ring detected ...  for batch in reader:")."""
    click.echo(f"Warning: {redact(one_line(str(message)))}", err=True)


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
    """Say which database is used, its PostGIS version, schema revision, region and last
    load (and whether the next load of its file reads it again)."""
    from industry_clusters.db import migrate

    st = migrate.status(app.target)
    click.echo(f"database:       {st.database}")
    click.echo(f"server:         PostgreSQL {st.server_version}")
    click.echo(f"postgis:        {st.postgis_version or 'not enabled (run db init)'}")
    state = ("up to date" if st.up_to_date else
             f"newer than this code's {st.head}: a newer version set it up"
             if migrate.newer_than_code(st.revision) else
             f"code is at {st.head}: run db upgrade")
    click.echo(f"schema:         {st.revision or 'not initialised'} ({state})")
    if st.srid:
        click.echo(f"projected SRID: {st.srid}")
    if st.region:
        click.echo(f"region:         {st.region}")
    if st.last_load:
        click.echo(f"last load:      {st.last_load}")
    if st.enterprises:
        click.echo(f"enterprises:    {st.enterprises}")


def _extent(ctx, param, value: str | None) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    try:
        numbers = tuple(float(v) for v in value.split(","))
    except ValueError:
        numbers = ()
    if len(numbers) != 4:
        raise click.BadParameter(f"{value!r}: give four comma-separated numbers, WGS-84 "
                                 "degrees west,south,east,north (117.9,24.4,119.1,25.6)")
    return numbers


@db_group.command("region")
@click.option("--name", default=None, help="The region's name (the city).")
@click.option("--extent", default=None, metavar="W,S,E,N", callback=_extent,
              help="WGS-84 longitudes and latitudes: west,south,east,north.")
@click.option("--extent-of", "extent_of", default=None, metavar="FILE",
              type=click.Path(dir_okay=False),
              help="Take the extent from the city's district boundaries (any polygon layer "
                   "GDAL reads), 5 km wider each way; with --crs.")
@click.option("--crs", type=click.Choice(CRS_CHOICES), default=None,
              help="Coordinate system of the --extent-of file (as load-districts).")
@click.option("--layer", default=None, help="Layer of the --extent-of file.")
@pass_app
def db_region(app: App, name: str | None, extent, extent_of: str | None, crs: str | None,
              layer: str | None) -> None:
    """Show the study region, or set it (--name, --extent or --extent-of) for another
    city than the default Foshan: loads reject locations outside its extent and
    load-districts rejects boundaries outside it. Refused where the projected SRID,
    fixed at db init, measures distances more than 1% wrong. The next load of a file
    loaded before screens it again with the new region."""
    from industry_clusters.db.region import region, set_region

    if extent_of is not None:
        if extent is not None:
            raise click.UsageError("give --extent or --extent-of, not both")
        from industry_clusters.load.districts import boundaries_extent

        extent = boundaries_extent(app.target, extent_of, crs=crs, layer=layer)
    elif crs is not None or layer is not None:
        raise click.UsageError("--crs and --layer go with --extent-of FILE")
    if name is None and extent is None:
        now, note = region(app.target)
        click.echo(f"region: {now.describe()}")
    else:
        now, note = set_region(app.target, name, extent)
        app.say(f"region set: {now.describe()}")
    if note:
        click.echo(note)


@db_group.command("init")
@click.option("--srid", type=int, default=None,
              help="Projected SRID (metres) for clustering; fixed at first init. [default: 4547]")
@pass_app
def db_init(app: App, srid: int | None) -> None:
    """Create the database and PostGIS (if missing and allowed), schemas, roles and
    tables. Harmless to repeat."""
    from industry_clusters.db import migrate

    created = migrate.init(app.target, srid)
    if created:
        app.say(f"created database {created}")
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


@db_group.command("downgrade", context_settings={"ignore_unknown_options": True})  # -1, -2
@click.argument("revision", default="-1")
@click.option("--yes", is_flag=True,
              help="Downgrade to base without asking (it drops every table and its data).")
@pass_app
def db_downgrade(app: App, revision: str, yes: bool) -> None:
    """Downgrade the schema to REVISION ('base' drops everything: asks first, or --yes).

    A step back records the older revision, and undoes only what that revision's
    downgrade drops (a layer it added, say). Most revisions re-run the current sql/
    files and have nothing of their own to undo: their functions and views stay as this
    version defines them, and an older version of industry-clusters then runs with
    them. To return to an older version's exact schema, downgrade to base (it drops the
    data) or restore a pg_dump taken before the upgrade."""
    from industry_clusters.db import describe, migrate

    if revision == "base" and not yes:
        what = ("drops the registry, every clustering run and the published layers of "
                f"{describe(app.target)}")
        if not stdin_is_terminal():
            raise UserError(f"db downgrade base {what}; add --yes to do it")
        click.confirm(f"db downgrade base {what}. Go on?", abort=True)
    migrate.downgrade(app.target, revision)
    now = migrate.status(app.target).revision
    app.say(f"schema recorded at {now}; the tables, functions and views are left as this "
            "version made them, except what the revisions undone drop (db downgrade --help)"
            if now else "schema at base (empty)")


# -- load ----------------------------------------------------------------------
def _progress_bar(app: App, label: str):
    """A progress callback drawing a bar on a terminal (nothing under --quiet or cron)."""
    if app.quiet or not sys.stderr.isatty():
        return None, None
    bar = click.progressbar(length=1, label=label, file=sys.stderr, show_eta=True)
    bar.__enter__()

    def update(done: int, total: int) -> None:
        bar.length = max(total, 1)
        bar.update(done - bar.pos)

    return update, bar


def _reading_options(command):
    """How to read the registry files, the same for load and nightly (a city whose export
    needs --map or --encoding by hand needs them every night too)."""
    for option in reversed((
        click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
                     help="Input format. [default: from the extension; a CSV may be gzip-, "
                          "bzip2- or xz-compressed, registry.csv.gz]"),
        click.option("--encoding", type=click.Choice(ENCODINGS), default="auto",
                     help="Text encoding of a CSV file."),
        click.option("--map", "maps", multiple=True, metavar="FIELD=COLUMN",
                     help="Take FIELD from COLUMN instead of the preset headers (repeatable)."),
        click.option("--layer", "layers", multiple=True, metavar="NAME",
                     help="Layer of a GeoPackage [default: its only point layer], or sheet of "
                          "a workbook [default: every sheet with the header of the first "
                          "that names known columns]. Repeat it to read several as parts "
                          "of one export."),
    )):
        command = option(command)
    return command


@cli.command("load")
@click.argument("files", metavar="FILE...", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--crs", type=click.Choice(CRS_CHOICES), required=False,
              help="Coordinate system of the coordinates (required): gcj02 for Amap geocodes, "
                   "bd09 for Baidu, wgs84 for GPS, cgcs2000.")
@_reading_options
@click.option("--force", is_flag=True,
              help="Load even if this content was loaded before, and accept a refresh that "
                   "deactivates many enterprises.")
@click.option("--incremental", is_flag=True,
              help="A partial export: do not mark enterprises missing from it inactive.")
@pass_app
def load_cmd(app: App, files: tuple[Path, ...], fmt, crs, encoding, maps, force,
             incremental, layers) -> None:
    """Load a registry export (CSV, also compressed; XLSX, XLS, GeoJSON, GeoPackage), screened
    as in the study.

    Several files are the parts of one export (same columns), loaded as one: enterprises
    missing from all of them are marked inactive. Every row ends up accepted or in
    registry.rejects with a reason (`industry-clusters rejects` lists them). One load is
    one transaction; an advisory lock refuses a second concurrent load.
    """
    from industry_clusters.load import columns, load_file

    update, bar = _progress_bar(app, "loading " + " + ".join(f.name for f in files))
    try:
        result = load_file(app.target, list(files), crs=crs, fmt=fmt, encoding=encoding,
                           mapping=columns.parse_map_options(maps), force=force,
                           full_refresh=not incremental, layer=list(layers), progress=update,
                           notify=app.notify)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    app.say(result.summary())


@cli.command("load-districts")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--crs", type=click.Choice(CRS_CHOICES), required=False,
              help="Coordinate system of the polygons' longitude/latitude (required; "
                   "DataV/Amap boundaries are gcj02; a projected layer is unprojected first, "
                   "so a Gauss-Kruger one is cgcs2000).")
@click.option("--name-field", default=None, help="Attribute with the district name. "
              "[default: name / NAME / 名称]")
@click.option("--code-field", default=None, help="Attribute with the district code. "
              "[default: adcode / code / 区划代码]")
@click.option("--layer", default=None, help="Layer of a multi-layer file (GeoPackage).")
@click.option("--encoding", type=click.Choice(ENCODINGS), default="auto", show_default=True,
              help="Text encoding of a shapefile without a .cpg file (auto: UTF-8, else "
                   "GB18030, from its .dbf).")
@pass_app
def load_districts_cmd(app: App, file: Path, crs, name_field, code_field, layer,
                       encoding) -> None:
    """Load district boundaries (any polygon layer GDAL reads), replacing the previous ones.

    Enterprises are then assigned to the district containing them.
    """
    from industry_clusters.load.districts import load_districts

    result = load_districts(app.target, file, crs=crs, name_field=name_field,
                            code_field=code_field, layer=layer, encoding=encoding,
                            notify=app.notify)
    app.say(result.summary())


# -- cluster / refresh / stats -----------------------------------------------------
@cli.command("rejects")
@click.argument("output", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--load-run", "run", type=click.IntRange(min=1), default=None, metavar="ID",
              help="A succeeded load (registry.load_runs). [default: the latest load of a "
                   "registry]")
@click.option("--reason", "reasons", multiple=True, metavar="REASON",
              help="Only the rows rejected for REASON (repeatable; the reasons: "
                   "registry.reason_codes).")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@pass_app
def rejects_cmd(app: App, output: Path | None, run: int | None, reasons, overwrite) -> None:
    """The rows a load rejected: counted by reason, or written to OUTPUT (CSV) as the
    file had them, after where each row was and why it was left out.

    Corrected there, the rows load again with `load OUTPUT --incremental`."""
    from industry_clusters.load.rejects import load_rejects, write_rejects

    if output is None:
        if reasons or overwrite:
            raise UserError("--reason and --overwrite are for writing the rows: give a file, "
                            "e.g. industry-clusters rejects rejects.csv")
        click.echo(load_rejects(app.target, run).summary(), nl=False)
        return
    if output.suffix.lower() != ".csv":
        raise UserError(f"{output.name}: the rejected rows are written as CSV; name the "
                        "file .csv")
    found, count = write_rejects(app.target, output, run=run, reasons=list(reasons),
                                 overwrite=overwrite)
    app.say(f"{output}: {count:,} rejected row{'s' if count != 1 else ''} of load run "
            f"{found.load_run_id} ({found.file_name})")


def _comma_list(ctx, param, value: str | None) -> list[str] | None:
    """A comma-separated option's items, each once; None when the option is not given.
    Given but naming nothing (an empty shell variable, say) it is an error: "all" only by
    leaving it out."""
    if value is None:
        return None
    items = list(dict.fromkeys(x.strip() for x in value.split(",") if x.strip()))
    if not items:
        raise click.BadParameter("names nothing: give comma-separated values, or leave the "
                                 "option out for the default")
    return items


# min points reach the database as an integer (ST_ClusterDBSCAN's minpoints): a larger
# number found no function to call. The lower bound is the database's rule
# (clustering.check_dbscan_params), which SQL callers meet too.
MIN_POINTS_MAX = 2**31 - 1


@cli.command("cluster")
@click.option("--eps", type=float, default=500.0, show_default=True,
              help="DBSCAN eps in metres of the projected SRID.")
@click.option("--min-points", type=click.IntRange(max=MIN_POINTS_MAX), default=30,
              show_default=True,
              help="DBSCAN min points (a core point has this many within eps, itself included).")
@click.option("--sectors", default=None, metavar="LIST", callback=_comma_list,
              help="Comma-separated sector codes (comms,software). [default: all]")
@click.option("--tiers", "tier_method", type=click.Choice(TIER_METHODS), default="jenks",
              show_default=True, help="How clusters are split into core / medium / small.")
@click.option("--tier-core", type=float, default=None,
              help="quantile: core from this size quantile (0.9); absolute: from this size (200).")
@click.option("--tier-medium", type=float, default=None,
              help="quantile: medium from this quantile (0.6); absolute: from this size (80).")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Cluster the enterprises that existed at this date (YYYY-MM-DD).")
@click.option("--jobs", type=click.IntRange(min=1), default=2, show_default=True,
              help="Database connections labelling at once, a share of the points each: "
                   "sectors, and from 200,000 enterprises their connected parts (the same "
                   "labels; 1: all in the run's own connection). More than the database "
                   "server's cores gain nothing.")
@click.option("--method", type=click.Choice(LABEL_METHODS), default="auto", show_default=True,
              help="points: ST_ClusterDBSCAN over the enterprises; cells: over grid cells of "
                   "core points, the same labels, faster where dense; auto: cells for 200,000 "
                   "enterprises or more, at least half of them in grid cells holding min "
                   "points or more.")
@click.option("--no-refresh", is_flag=True,
              help="Record the run without publishing it (the next refresh publishes it).")
@pass_app
def cluster_cmd(app: App, eps, min_points, sectors, tier_method, tier_core, tier_medium, as_of,
                jobs, method, no_refresh) -> None:
    """Cluster enterprises per sector with ST_ClusterDBSCAN, in the database.

    Records the run with its parameters, counts and timings; computes clusters, core
    and border members, hulls, districts and tiers; refreshes publish. A failed run
    changes nothing that readers see.
    """
    from industry_clusters.cluster import run_clustering

    params = {k: v for k, v in (("core", tier_core), ("medium", tier_medium)) if v is not None}
    result = run_clustering(app.target, eps=eps, min_points=min_points,
                            sectors=sectors, tier_method=tier_method,
                            tier_params=params, as_of=as_of.date() if as_of else None,
                            jobs=jobs, method=method, refresh=not no_refresh,
                            notify=app.notify)
    app.say(result.summary())


@cli.command("refresh")
@pass_app
def refresh_cmd(app: App) -> None:
    """Publish the latest succeeded run: refresh the materialized views in publish
    (concurrently: readers never wait, except on the first publication of clusters,
    which rebuilds publish.enterprises)."""
    from industry_clusters.cluster import refresh

    refresh(app.target)
    app.say("publish views refreshed")


run_option = click.option(
    "--run", type=int, default=None, metavar="ID",
    help="A succeeded clustering run (`industry-clusters runs`). [default: the published one]")


@cli.command("stats")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--view", "views", multiple=True, type=click.Choice(list(STATS_VIEWS)),
              help="Only this view (repeatable). [default: all three]")
@run_option
@pass_app
def stats_cmd(app: App, fmt: str, views, run: int | None) -> None:
    """Print the published statistics (Table 1 per district, tiers, tier structure)."""
    from industry_clusters.publish import fetch_stats, render

    click.echo(render(fetch_stats(app.target, list(views) or None, run), fmt), nl=False)
    _note_if_nothing_published(app, run)


def _note_if_nothing_published(app: App, run: int | None) -> None:
    from industry_clusters.publish import NOTHING_PUBLISHED, nothing_published

    if run is None and not app.quiet and nothing_published(app.target):
        app.notify(NOTHING_PUBLISHED)


@cli.command("runs")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many of the latest runs.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="Output format.")
@pass_app
def runs_cmd(app: App, limit: int, fmt: str) -> None:
    """List the clustering runs, newest first (publish.cluster_runs)."""
    from industry_clusters.publish import fetch_runs, render

    click.echo(render({"cluster_runs": fetch_runs(app.target, limit)}, fmt), nl=False)


# -- sensitivity ---------------------------------------------------------------------
def _numbers(kind, most=None):
    def parse(ctx, param, value: str):
        try:
            # each once: a value given twice was swept twice (100,100.0 too)
            numbers = list(dict.fromkeys(kind(v) for v in _comma_list(ctx, param, value)))
        except ValueError:
            raise click.BadParameter(f"{value!r}: give comma-separated numbers") from None
        if most is not None and (big := next((n for n in numbers if n > most), None)):
            raise click.BadParameter(f"{big} is above {most}, the most it can be")
        return numbers
    return parse


@cli.command("sensitivity")
@click.option("--eps", default="300,400,500,600,800", show_default=True, metavar="LIST",
              callback=_numbers(float), help="eps values, metres, comma-separated.")
@click.option("--min-points", default="20,30,40", show_default=True, metavar="LIST",
              callback=_numbers(int, MIN_POINTS_MAX), help="min points values, comma-separated.")
@click.option("--sectors", default=None, metavar="LIST", callback=_comma_list,
              help="Comma-separated sector codes. [default: all]")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Enterprises that existed at this date.")
@click.option("--no-k-distance", is_flag=True, help="Skip the k-distance curves (the slow part).")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also draw the sweep and the curves to this PNG.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="Output format.")
@pass_app
def sensitivity_cmd(app: App, eps, min_points, sectors, as_of, no_k_distance, png, fmt) -> None:
    """Cluster count, clustered share and sizes for every (eps, min points) pair, and the
    k-distance curve (k = min points) to read eps from. Computed in the database;
    nothing is stored."""
    from industry_clusters.paths import writable_dir
    from industry_clusters.publish import render
    from industry_clusters.sensitivity import draw, sensitivity

    if png:
        writable_dir(png.parent, png)  # before the sweep, not after it
    result = sensitivity(app.target, eps, min_points, sectors=sectors,
                         as_of=as_of.date() if as_of else None, k_distance=not no_k_distance)
    click.echo(render(result, fmt, schema="clustering"), nl=False)
    if png:
        draw(result, png, eps)
        app.say(f"{png}: sweep and k-distance curves")


# -- report --------------------------------------------------------------------------
@group(name="report")
def report_group() -> None:
    """Reports across clustering runs."""


cli.add_command(report_group)


@report_group.command("evolution")
@click.option("--from", "run_from", type=int, required=True, metavar="RUN",
              help="The earlier run (`industry-clusters runs`).")
@click.option("--to", "run_to", type=int, required=True, metavar="RUN",
              help="The later run, of the same series.")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True,
              help="How many of the fastest-growing clusters.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="Output format.")
@pass_app
def report_evolution(app: App, run_from: int, run_to: int, top: int, fmt: str) -> None:
    """What happened to the clusters between two runs: events (born, grew, merged, ...),
    the fastest-growing clusters, and the change per district."""
    from industry_clusters.evolution import evolution_report
    from industry_clusters.publish import render

    click.echo(render(evolution_report(app.target, run_from, run_to, top), fmt), nl=False)


# -- export ------------------------------------------------------------------------
@cli.command("export")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(sorted(set(EXPORT_FORMATS.values()))),
              default=None, help="Output format. [default: from the extension]")
@click.option("--crs", type=click.Choice(EXPORT_CRS), default=None,
              help="Coordinates of the output: wgs84, gcj02 (for Amap basemaps), projected. "
                   "[default: wgs84]")
@click.option("--layers", default=None, metavar="LIST", callback=_comma_list,
              help=f"Comma-separated layers ({', '.join(EXPORT_LAYERS)}). "
                   "[default: all for .gpkg, clusters otherwise]")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@run_option
@pass_app
def export_cmd(app: App, output: Path, fmt, crs, layers, overwrite, run: int | None) -> None:
    """Export the published layers and statistics (GeoPackage, GeoJSON, FlatGeobuf, CSV,
    PNG map), or those of an earlier run (--run)."""
    from industry_clusters.export import export

    written = export(app.target, output, layers=layers, crs=crs, fmt=fmt,
                     overwrite=overwrite, run=run)
    app.say(f"{output}: " + ", ".join(f"{k} {v}" for k, v in written.items()))
    _note_if_nothing_published(app, run)


# -- demo --------------------------------------------------------------------------
@group(name="demo")
def demo_group() -> None:
    """The Foshan demo: a synthetic registry through the real pipeline."""


cli.add_command(demo_group)


def demo_options(out_help: str):
    """--out, --seed and --scale, shared by the demo commands."""
    def decorate(f):
        f = click.option("--scale", type=click.FloatRange(min=0, min_open=True), default=1.0,
                         show_default=True,
                         help="Size relative to the study (1 = ~120,000 rows).")(f)
        f = click.option("--seed", type=int, default=2024, show_default=True,
                         help="Random seed.")(f)
        return click.option("--out", type=click.Path(file_okay=False, path_type=Path),
                            default=Path("out"), show_default=True, help=out_help)(f)
    return decorate


@demo_group.command("generate")
@demo_options("Directory for the registry and its ground truth.")
@pass_app
def demo_generate(app: App, out: Path, seed: int, scale: float) -> None:
    """Write a synthetic registry export (GCJ-02, Chinese headers) and its ground truth."""
    from industry_clusters.demo.synth import generate, registry_name

    g = generate(out, seed=seed, scale=scale, name=registry_name(seed, scale))
    app.say(f"{g.registry}: {g.records:,} rows, {g.planted} planted clusters "
            f"(truth: {g.truth})")


@demo_group.command("run")
@demo_options("Directory for the registry, exports, map and report.")
@click.option("--districts", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="District boundaries (GCJ-02). [default: $INDUSTRY_CLUSTERS_DISTRICTS, else "
                   "../shared/data/foshan_districts.geojson when present]")
@pass_app
def demo_run(app: App, out: Path, seed: int, scale: float, districts: Path | None) -> None:
    """Generate (if absent) -> load -> cluster -> refresh -> export -> report and map."""
    from industry_clusters.demo import default_districts, run_demo

    result = run_demo(app.target, out, seed=seed, scale=scale,
                      districts=districts or default_districts(), say=app.say)
    app.say("")
    app.say(result.text)
    app.say(f"done in {result.seconds:.1f} s: report {result.report}, map {result.map}, "
            f"exports in {out}")


# -- qgis ----------------------------------------------------------------------------
@group(name="qgis")
def qgis_group() -> None:
    """QGIS support: default layer styles."""


cli.add_command(qgis_group)


@qgis_group.command("install-styles")
@pass_app
def qgis_install_styles(app: App) -> None:
    """(Re)write the default styles of the publish layers into public.layer_styles."""
    from industry_clusters.qgis import install_styles

    layers = install_styles(app.target)
    app.say("default QGIS styles written for " + ", ".join(layers))


# -- nightly -------------------------------------------------------------------------
@cli.command("nightly")
@click.argument("files", metavar="FILE...", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--crs", type=click.Choice(CRS_CHOICES), required=False,
              help="Coordinate system of the files (required; gcj02 for Amap geocodes).")
@_reading_options
@click.option("--export-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write DIR/industry_clusters.gpkg after publishing.")
@click.option("--keep-runs", type=click.IntRange(min=1), default=7, show_default=True,
              help="Clustering runs to keep (the published one is never pruned).")
@click.option("--keep-rejects", type=click.IntRange(min=1), default=30, show_default=True,
              help="Loads whose rejected rows are kept in registry.rejects; older loads keep "
                   "their counts by reason.")
@click.option("--eps", type=float, default=500.0, show_default=True, help="DBSCAN eps, metres.")
@click.option("--min-points", type=click.IntRange(max=MIN_POINTS_MAX), default=30,
              show_default=True, help="DBSCAN min points.")
@pass_app
def nightly_cmd(app: App, files, crs, fmt, encoding, maps, layers, export_dir, keep_runs,
                keep_rejects, eps, min_points) -> None:
    """Load -> cluster -> refresh -> export, unattended (cron, systemd timer).

    One line per step and a summary; exit 0 only if every step succeeded. The files are
    one export (several: its parts, with the same columns), loaded as one full refresh.
    """
    from industry_clusters.load import columns
    from industry_clusters.nightly import run_nightly

    result = run_nightly(app.target, list(files), crs=crs, fmt=fmt, encoding=encoding,
                         mapping=columns.parse_map_options(maps), layer=list(layers),
                         export_dir=export_dir, keep_runs=keep_runs,
                         keep_rejects=keep_rejects, eps=eps,
                         min_points=min_points, say=app.say, notify=app.notify)
    app.say(f"nightly: {len(result.steps)} steps succeeded in {result.seconds:.1f} s")


def main(*args, **kwargs):
    """The console command. SIGTERM and Ctrl-C (SIGINT) cancel the running query, record
    the run failed and exit 143 or 130 with one line, so systemd stopping a job, or a
    user stopping a command, loses nothing."""
    stop_on_signals()
    quiet_cleanup_errors()
    try:
        return cli.main(*args, **kwargs)
    except Terminated as exc:
        click.echo(f"Error: {exc}; the work in progress was rolled back", err=True)
        sys.exit(exc.code)


