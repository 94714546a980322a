"""Schema lifecycle: alembic revisions that apply the files in ``sql/``.

Revisions live in ``migrations/versions``; each names the ``sql/`` files it runs
(``run_files``). Files are psycopg templates: ``{srid}`` is the projected SRID, fixed
at ``db init`` (``--srid``, default 4547) and kept in ``registry.settings``.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from industry_clusters.config import DEFAULT_SRID, Target, resolve
from industry_clusters.db import (
    INACTIVE_AS,
    connect,
    describe,
    ensure_database,
    sql_file,
    sql_files,
)
from industry_clusters.errors import UserError
from industry_clusters.paths import MIGRATIONS_DIR, check_layout

if TYPE_CHECKING:  # alembic and SQLAlchemy cost ~0.6 s to import: only when migrating
    import sqlalchemy as sa
    from alembic.config import Config

_SRID_KEY = "industry_clusters.srid"


def engine(target: Target | str | None) -> sa.Engine:
    import sqlalchemy as sa

    if not isinstance(target, Target):
        target = resolve(target)
    return sa.create_engine("postgresql+psycopg://", creator=lambda: connect(target),
                            poolclass=sa.pool.NullPool)


def _config(conn: sa.Connection | None = None, srid: int | None = None) -> Config:
    from alembic.config import Config

    check_layout()
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    cfg.attributes["srid"] = srid
    return cfg


_WORLD_PROJECTIONS = {"+proj=merc ": "Mercator", "+proj=eqc ": "equirectangular",
                      "+proj=mill ": "Miller"}


def check_projected_srid(conn: psycopg.Connection, srid: int) -> None:
    """Refuse an unknown or geographic SRID, or one whose metres are not metres on the
    ground: eps is in metres."""
    row = conn.execute("SELECT proj4text, srtext FROM spatial_ref_sys WHERE srid = %s",
                       (srid,)).fetchone()
    if row is None:
        raise UserError(f"SRID {srid} is not in spatial_ref_sys; choose a projected CRS "
                        f"in metres (default {DEFAULT_SRID})")
    proj4, srtext = row
    if "+proj=longlat" in (proj4 or "") or (srtext or "").upper().startswith(("GEOGCS", "GEOGCRS")):
        raise UserError(f"SRID {srid} is geographic (degrees); eps must be in metres: choose a "
                        f"projected CRS such as {DEFAULT_SRID}")
    if "+units=m" not in (proj4 or "") and "+proj=" in (proj4 or ""):
        raise UserError(f"SRID {srid} is not in metres; choose a projected CRS in metres")
    # World projections whose metres are true only along the equator: Web Mercator
    # (3857, "metres" to GIS users) stretches distances by 1/cos(latitude), 9% in Foshan,
    # so an eps of 500 would cluster at 460 m on the ground and areas come out 18% large.
    world = next((name for key, name in _WORLD_PROJECTIONS.items() if key in (proj4 or "")),
                 None)
    if world:
        raise UserError(f"SRID {srid} is a {world} projection: its metres are true only along "
                        "the equator (9% long in Foshan), so eps and areas would be wrong; "
                        f"choose a local projected CRS such as {DEFAULT_SRID} or a UTM zone")


def _srid_for(conn: psycopg.Connection) -> int:
    """The SRID of an initialised schema, else the one asked for at init, else default."""
    have = conn.execute("SELECT to_regclass('registry.settings') IS NOT NULL").fetchone()[0]
    if have:
        return conn.execute("SELECT projected_srid FROM registry.settings").fetchone()[0]
    from alembic import context

    asked = (context.config.attributes.get("srid")
             or context.get_x_argument(as_dictionary=True).get("srid"))
    srid = int(asked or os.environ.get("INDUSTRY_CLUSTERS_SRID") or DEFAULT_SRID)
    check_projected_srid(conn, srid)
    return srid


def install_files() -> tuple[str, ...]:
    """Every ``sql/`` file a database of the newest revision has run, in an order in
    which each finds what it names: the tables, then the loader's, the clustering's and
    the published functions and views, then the grants. Not the downgrade files
    (``000_*``, ``*_drop_*``)."""
    def keep(rel: str) -> bool:
        name = rel.rsplit("/", 1)[1]
        return not name.startswith("000_") and "_drop_" not in name

    grants = "schema/090_grants.sql"
    files = [f for folder in ("schema", "load", "cluster", "publish") for f in sql_files(folder)
             if keep(f) and f != grants]
    return (*files, grants)


def run_files(*relpaths: str) -> None:
    """Run ``sql/`` files inside the current alembic migration (its transaction).

    Every revision runs the current files, whose functions name tables and functions
    that later revisions' files create. An upgrade from several revisions back failed so
    (from 0057: relation "clustering.run_profiles" does not exist, when 0058 made
    clustering.clear_work; from 0034: clustering.published, 0044's table, named by the
    functions 0035 made; from 0026: clustering.in_point_set, a function of 0041). So
    the first revision of an upgrade runs every current file (install_files: they are
    re-runnable and convert older layouts): the database is then what the newest
    revision makes. A revision's own files are among them, so an upgrade runs none of
    them again (each ran once more before, publish/010_views.sql rebuilding every
    view); only a file not in install_files would still run."""
    from alembic import context, op

    attrs = context.config.attributes
    if attrs.get("upgrading"):
        first = not attrs.get("brought_up_to_date")
        attrs["brought_up_to_date"] = True
        installed = install_files()
        relpaths = (*(installed if first else ()), *(p for p in relpaths if p not in installed))
    raw: psycopg.Connection = op.get_bind().connection.dbapi_connection  # type: ignore[assignment]
    srid = _srid_for(raw)
    for rel in relpaths:
        # sql/schema files are templates of the projected SRID; the others are plain SQL.
        params = {"srid": srid} if rel.startswith("schema/") else {}
        raw.execute(sql_file(rel, **params))


def ensure_postgis(conn: psycopg.Connection) -> str:
    """Create the PostGIS extension if it is missing; return its version."""
    have = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'").fetchone()
    if have:
        return have[0]
    available = conn.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone()
    dbname = conn.info.dbname
    if not available:
        raise UserError(f"PostGIS is not installed on the server of database {dbname}; install "
                        "postgresql-15-postgis-3 (or your version's package) and run db init again")
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except psycopg.errors.InsufficientPrivilege:
        conn.rollback()
        raise UserError(f"not allowed to create the PostGIS extension in database {dbname}; ask a "
                        "superuser to run: CREATE EXTENSION postgis") from None
    conn.commit()
    return conn.execute(
        "SELECT extversion FROM pg_extension WHERE extname = 'postgis'").fetchone()[0]


def require_utf8(conn: psycopg.Connection) -> None:
    """Refuse a database not encoded in UTF8. Registry exports are Chinese text, and the
    screening's patterns (full-width forms, Chinese numerals, the statuses) are characters: in a
    SQL_ASCII database PostgreSQL reads them as bytes, and a LATIN1 one cannot store
    them. The server reports its encoding when the connection starts (no query)."""
    encoding = conn.info.parameter_status("server_encoding")
    if encoding and encoding != "UTF8":
        name = conn.info.dbname
        create = sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' "
                         "TEMPLATE template0").format(sql.Identifier(name)).as_string(conn)
        raise UserError(f"database {name} is encoded {encoding}, and registry exports are "
                        f"Chinese text: use a UTF8 database (a new one: {create}), then db "
                        "init")


def require_postgis(conn: psycopg.Connection) -> None:
    require_utf8(conn)
    if not conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone():
        raise UserError(f"PostGIS is not enabled in database {conn.info.dbname}; "
                        "run 'industry-clusters db init'")


def _with_alembic(target: Target | str | None, fn, srid: int | None = None,
                  upgrading: bool = False) -> None:
    with engine(target).connect() as conn:
        raw: psycopg.Connection = conn.connection.dbapi_connection  # type: ignore[assignment]
        require_postgis(raw)
        cfg = _config(conn, srid)
        cfg.attributes["upgrading"] = upgrading
        from alembic.util import CommandError

        if newer := newer_than_code(current_revision(raw)):
            raise UserError(f"database {raw.info.dbname}: {newer}")
        try:
            fn(cfg)
        except CommandError as exc:  # an unknown or ambiguous revision, say
            known = revisions()
            raise UserError(f"{exc}; revisions run from {known[0]} to {known[-1]}, or are "
                            "head, base, or -N (N steps back)") from None
        conn.commit()


def upgrade(target=None, revision: str = "head", srid: int | None = None) -> None:
    from alembic import command

    _with_alembic(target, lambda cfg: command.upgrade(cfg, revision), srid, upgrading=True)


def downgrade(target=None, revision: str = "-1") -> None:
    from alembic import command

    _with_alembic(target, lambda cfg: command.downgrade(cfg, revision))


def init(target=None, srid: int | None = None) -> str | None:
    """Create the database (if missing and allowed) and PostGIS (if allowed), then upgrade
    to the newest schema. Harmless to repeat. Returns the database's name if it was
    created."""
    if not isinstance(target, Target):
        target = resolve(target)
    created = ensure_database(target)
    with connect(target) as conn:
        require_utf8(conn)
        ensure_postgis(conn)
        if srid is not None:
            have = conn.execute("SELECT to_regclass('registry.settings') IS NOT NULL").fetchone()[0]
            if have:
                current = conn.execute("SELECT projected_srid FROM registry.settings").fetchone()[0]
                if current != srid:
                    raise UserError(f"the schema already uses SRID {current}; the projected SRID "
                                    "is fixed at first init (db downgrade base to start over)")
    upgrade(target, "head", srid)
    return created


_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*=\s*['\"]?(\w+)['\"]?", re.M)


@functools.cache
def revisions() -> tuple[str, ...]:
    """The revisions in migrations/versions, oldest first. Read from the files (once a
    process) so that every command need not import alembic (a test checks that alembic
    agrees)."""
    check_layout()
    follows: dict[str | None, list[str]] = {}
    for f in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict(_REVISION_LINE.findall(f.read_text(encoding="utf-8")))
        down = found.get("down_revision")
        follows.setdefault(None if down == "None" else down, []).append(found["revision"])
    chain, rev = [], None
    while len(follows.get(rev, ())) == 1:
        rev = follows[rev][0]
        chain.append(rev)
    if follows.get(rev) or len(chain) != sum(map(len, follows.values())):
        raise UserError(f"the migrations in {MIGRATIONS_DIR} are not one line of revisions; "
                        "the checkout is damaged")
    return tuple(chain)


def head_revision() -> str:
    """The newest revision: the one that no other follows."""
    return revisions()[-1]


def newer_than_code(rev: str | None) -> str | None:
    """What to say when the database's revision is one this code does not know: a newer
    industry-clusters set it up (an older one installed again, or a client older than
    the server's), and db init or upgrade cannot help."""
    known = revisions()
    if rev is None or rev in known:
        return None
    return (f"the schema is at revision {rev}, which this industry-clusters (schema "
            f"{known[-1]}) does not know: a newer version set it up. Install that version "
            "(or newer) to use this database")


@dataclass
class Status:
    database: str
    server_version: str
    postgis_version: str | None
    revision: str | None
    head: str
    srid: int | None
    region: str | None = None  # Region.describe(), when the schema is up to date
    last_load: str | None = None  # the last succeeded load, when the schema is up to date
    enterprises: str | None = None  # active and inactive, by reason (idem)

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head


def status(target=None) -> Status:
    if not isinstance(target, Target):
        target = resolve(target)
    with connect(target) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
        pg = conn.execute("SELECT extversion FROM pg_extension WHERE extname='postgis'").fetchone()
        rev, head = current_revision(conn), head_revision()
        srid = region = last = firms = None
        if _readable(conn, "registry.settings"):
            srid = conn.execute("SELECT projected_srid FROM registry.settings").fetchone()[0]
            if rev == head:  # the region's functions are those of this code
                from industry_clusters.db.region import read_region

                region = read_region(conn).describe()
                last = last_load(conn)
                firms = enterprises(conn)
    return Status(describe(target), server, pg[0] if pg else None, rev, head, srid, region,
                  last, firms)


# The last succeeded load of enterprises, and what it screened with
LAST_LOAD = """
SELECT load_run_id, finished_at, rows_accepted, rows_rejected, screening
  FROM registry.load_runs WHERE kind = 'enterprises' AND status = 'succeeded'
 ORDER BY load_run_id DESC LIMIT 1
"""


def last_load(conn: psycopg.Connection) -> str | None:
    """The last load in one line, saying whether the next load of its file reads it
    again: what it screened with is no longer today's (registry.screening_signature;
    not said to a role that may read the runs but not call that)."""
    if not _readable(conn, "registry.load_runs"):
        return None
    row = conn.execute(LAST_LOAD).fetchone()
    if row is None:
        return "none yet"
    may = conn.execute("SELECT has_function_privilege('registry.screening_signature()', "
                       "'EXECUTE')").fetchone()[0]
    today = conn.execute("SELECT registry.screening_signature()").fetchone()[0] if may else None
    from industry_clusters.publish import cell_text  # times as runs and rejects show them

    run, at, accepted, rejected, screening = row
    rules = ("" if today is None else "; screened with today's rules" if screening == today else
             "; the rules, the region or the loader changed since: the next load of its "
             "file reads it again")
    return f"run {run} ({cell_text(at)}), {accepted:,} accepted, {rejected:,} rejected{rules}"


def enterprises(conn: psycopg.Connection) -> str | None:
    """The registry's enterprises in one line: active, and inactive by why (one scan of
    the registry, a fraction of a second at a million)."""
    if not _readable(conn, "registry.enterprises"):
        return None
    by = dict(conn.execute("SELECT inactive_reason, count(*) FROM registry.enterprises "
                           "GROUP BY 1").fetchall())
    active = by.pop(None, 0)
    why = ", ".join(f"{label} {by[k]:,}" for k, label in INACTIVE_AS.items() if k in by)
    return (f"{active:,} active, {sum(by.values()):,} inactive"
            + (f" ({why})" if why else ""))


def _readable(conn: psycopg.Connection, relation: str) -> bool:
    """``relation`` (schema.table) exists and this role may read it."""
    schema = relation.split(".")[0]
    return conn.execute(
        "SELECT CASE WHEN NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = %(s)s) "
        "  OR NOT has_schema_privilege(%(s)s, 'USAGE') THEN false "
        "  WHEN to_regclass(%(r)s) IS NULL THEN false "
        "  ELSE has_table_privilege(%(r)s, 'SELECT') END",
        {"r": relation, "s": schema}).fetchone()[0]


def current_revision(conn: psycopg.Connection) -> str | None:
    if not _readable(conn, "public.alembic_version"):
        return None
    row = conn.execute("SELECT version_num FROM public.alembic_version").fetchone()
    return row[0] if row else None


def require_schema(conn: psycopg.Connection) -> None:
    """Refuse to work on a database whose schema is missing or behind the code."""
    require_postgis(conn)
    rev, head = current_revision(conn), head_revision()
    if newer := newer_than_code(rev):
        raise UserError(f"database {conn.info.dbname}: {newer}")
    if rev != head:
        what = "not initialised" if rev is None else f"at revision {rev}, the code needs {head}"
        raise UserError(f"database {conn.info.dbname} is {what}; run 'industry-clusters db init' "
                        "(or db upgrade)")

