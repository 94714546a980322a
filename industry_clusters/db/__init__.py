"""Connections, the SQL-file runner and advisory locks.

Every connection sets ``application_name=industry-clusters`` so a DBA can see who
is connected. Connection failures become one-line :class:`UserError` messages with
the password removed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
from psycopg import sql

from industry_clusters.config import APPLICATION_NAME, Target, redact, resolve
from industry_clusters.errors import LockedError, UserError, interruption
from industry_clusters.paths import SQL_DIR

# rows fetched at a time from a server-side cursor (exports, the map, the rejects)
BATCH = 50_000


def in_batches(cur) -> Iterator[list]:
    """The rows of a server-side cursor, BATCH at a time."""
    while rows := cur.fetchmany(BATCH):
        yield rows


def describe(target: Target) -> str:
    """``user@host:port/dbname (source)`` without the password."""
    try:
        d = psycopg.conninfo.conninfo_to_dict(target.conninfo)
    except psycopg.ProgrammingError:
        return f"<unparseable connection string> ({target.source})"
    where = d.get("host") or d.get("hostaddr") or "default host"
    if d.get("port"):
        where += f":{d['port']}"
    who = f"{d['user']}@" if d.get("user") else ""
    db = d.get("dbname") or (f"service {d['service']}" if d.get("service") else "default database")
    return f"{who}{where}/{db} ({target.source})"


def _connect_error(target: Target, exc: Exception) -> UserError:
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    reason = lines[0] if lines else type(exc).__name__
    # libpq prefixes "connection failed: connection to server at ... failed: <why>"
    reason = reason.rsplit(" failed: ", 1)[-1]
    hint = ("start it with 'industry-clusters db start' or set --database-url"
            if target.source == "local cluster"
            else "check --database-url / DATABASE_URL / PG* settings")
    if "password" in reason.lower() or "authentication" in reason.lower():
        hint = "check the user name and password"
    elif reason.startswith("FATAL:  database ") and reason.endswith(" does not exist"):
        hint = f"'industry-clusters db init' creates it, or {hint}"
    return UserError(redact(f"cannot connect to {describe(target)}: {reason}; {hint}"))


def connect(target: Target | str | None = None, *, autocommit: bool = False,
            **kwargs) -> psycopg.Connection:
    """Open a psycopg connection to ``target`` (a Target, a URL, or None to resolve)."""
    if not isinstance(target, Target):
        target = resolve(target)
    try:
        return psycopg.connect(target.conninfo, autocommit=autocommit,
                               application_name=APPLICATION_NAME, **kwargs)
    except psycopg.OperationalError as exc:
        raise _connect_error(target, exc) from None
    except psycopg.ProgrammingError as exc:  # malformed conninfo
        raise UserError(redact(f"invalid connection string ({target.source}): {exc}")) from None


def create_database(conn: psycopg.Connection, name: str) -> bool:
    """``CREATE DATABASE name`` through ``conn`` (autocommit, connected to another
    database) unless it exists. True if it was created."""
    if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
        return False
    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def ensure_database(target: Target) -> str | None:
    """For ``db init``: when the target's database does not exist, create it through the
    server's maintenance database ``postgres`` (the role needs CREATEDB). Returns its
    name when it was created. Any other connection failure is raised as it is."""
    try:
        connect(target).close()
        return None
    except UserError as refused:
        given = psycopg.conninfo.conninfo_to_dict(target.conninfo)
        name = given.get("dbname") or (None if given.get("service")
                                        else os.environ.get("PGDATABASE"))
        if not name or name == "postgres":
            raise
        try:
            maintenance = psycopg.connect(
                psycopg.conninfo.make_conninfo(target.conninfo, dbname="postgres"),
                autocommit=True, application_name=APPLICATION_NAME)
        except psycopg.Error:
            raise refused from None
        with maintenance:
            try:
                if not create_database(maintenance, name):
                    raise refused from None
            except psycopg.errors.InsufficientPrivilege:
                user = maintenance.info.user
                create = sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(user)).as_string(maintenance)
                raise UserError(f"database {name} does not exist and role {user} may not "
                                f"create it: have a superuser run {create}, then db init "
                                "again") from None
        return name


@contextlib.contextmanager
def snapshot(target, *, read_only: bool = True) -> Iterator[psycopg.Connection]:
    """A connection in one REPEATABLE READ transaction, the schema checked: everything
    read through it comes from one snapshot, whatever loads or refreshes commit
    meanwhile (an export's layers, the stats tables, the sweep and its curves).
    ``read_only`` False lets it create temporary tables.

    Before the snapshot is taken, it locks publish.cluster_runs (so its table,
    clustering.runs) for reading. The first publication of clusters rebuilds
    publish.enterprises with a plain REFRESH, which is not MVCC-safe: the new rows are
    visible to snapshots taken before it committed, which would pair them with the older
    publish.clusters. That refresh holds clustering.runs exclusively
    (sql/publish/020_refresh.sql), and LOCK takes no snapshot, so the snapshot is taken
    after it has committed. The lock conflicts with nothing else."""
    from industry_clusters.db import migrate

    with connect(target) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = read_only
        try:
            conn.execute("LOCK TABLE publish.cluster_runs IN ACCESS SHARE MODE")
        except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
            conn.rollback()  # no schema yet: require_schema says what to do
        migrate.require_schema(conn)
        yield conn


def sql_file(relpath: str, **params) -> sql.Composable:
    """The SQL in ``sql/<relpath>``.

    With ``params`` the file is a psycopg ``sql.SQL`` template: ``{name}`` becomes the
    quoted literal ``params[name]`` (never pasted as text) and literal braces are
    written ``{{ }}``. Only ``sql/schema/`` files are templates (``{srid}``); the others
    run as written.
    """
    text = (SQL_DIR / relpath).read_text(encoding="utf-8")
    if not params:
        return sql.SQL(text)  # type: ignore[arg-type]
    return sql.SQL(text).format(**{k: sql.Literal(v) for k, v in params.items()})  # type: ignore[arg-type]


def run_sql_file(conn: psycopg.Connection, relpath: str, **params) -> None:
    """Execute ``sql/<relpath>`` (all its statements) on ``conn``."""
    conn.execute(sql_file(relpath, **params))


def sql_files(folder: str) -> list[str]:
    """The ``.sql`` files of ``sql/<folder>`` in name order (their run order)."""
    return [f"{folder}/{p.name}" for p in sorted((SQL_DIR / folder).glob("*.sql"))]


# Why an enterprise is inactive (registry.enterprises.inactive_reason), as messages say
# it: the load summary's deactivated, db status's inactive.
INACTIVE_AS = {"closed": "closed", "non_digital": "no longer digital", "missing": "missing"}

# Advisory lock keys: one per job that must not run twice at once.
LOCKS = {"load": 0x1C_0001, "cluster": 0x1C_0002, "nightly": 0x1C_0003}


@contextlib.contextmanager
def advisory_lock(conn: psycopg.Connection, job: str) -> Iterator[None]:
    """Hold the session-level advisory lock of ``job``; refuse if someone else does."""
    key = LOCKS[job]
    got = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
    if not got:
        holder = conn.execute(
            "SELECT a.pid, a.application_name, a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' "
            "AND l.objid = %s AND l.granted", (key & 0xFFFFFFFF,)).fetchone()
        who = f" (backend pid {holder[0]}, {holder[1] or 'unknown client'}, " \
              f"since {holder[2]:%Y-%m-%d %H:%M:%S})" if holder else ""
        if not conn.autocommit:
            conn.rollback()
        raise LockedError(f"another {job} is running{who}; wait for it to finish, "
                          "or stop it, then try again")
    try:
        yield
    finally:
        if not conn.closed and not conn.broken:
            if conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
                conn.rollback()
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
            if not conn.autocommit:
                conn.commit()


# What a job waits for when registry.enterprises is held (registry.hold_enterprises):
# the other job's lock, and what it is called.
HOLDERS = {"cluster": ("RowExclusiveLock", "a load that is writing the registry"),
           "load": ("ShareLock", "a clustering run")}
# The locks that hold each job's (SHARE for a run, ROW EXCLUSIVE for a load's writes).
CONFLICTS = {"cluster": ["RowExclusiveLock", "ShareUpdateExclusiveLock",
                         "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"],
             "load": ["ShareLock", "ShareRowExclusiveLock", "ExclusiveLock",
                      "AccessExclusiveLock"]}
# Who holds registry.enterprises in one of those modes: a client first, autovacuum last.
HOLDER = """
SELECT a.backend_type = 'autovacuum worker', l.mode, a.pid, a.application_name
  FROM pg_locks l JOIN pg_stat_activity a USING (pid)
 WHERE l.locktype = 'relation' AND l.relation = 'registry.enterprises'::regclass
   AND l.granted AND l.pid <> pg_backend_pid() AND l.mode = ANY(%s)
 ORDER BY 1 LIMIT 1
"""


def hold_registry(conn: psycopg.Connection, job: str,
                  notify: Callable[[str], None] | None = None) -> None:
    """Lock registry.enterprises for ``job`` ('cluster' or 'load') until the end of the
    transaction (``registry.hold_enterprises``). When another job holds it, say what is
    waited for through ``notify``, then wait: a wait is not an error. Autovacuum is not
    named: it gives way to a waiting lock within a second (deadlock_timeout), and the
    run said it waited for "a load" that did not exist."""
    if conn.execute("SELECT registry.hold_enterprises(%s, false)", (job,)).fetchone()[0]:
        return
    holder = conn.execute(HOLDER, (CONFLICTS[job],)).fetchone()
    if notify and holder and not holder[0]:
        _, mode, pid, app = holder
        mode_of_job, name = HOLDERS[job]
        notify(f"waiting for {name} to finish (it holds registry.enterprises) ..."
               if mode == mode_of_job else
               f"waiting for backend pid {pid} ({app or 'unknown client'}) to finish: it "
               f"holds registry.enterprises ({mode}) ...")
    conn.execute("SELECT registry.hold_enterprises(%s, true)", (job,))


@contextlib.contextmanager
def job_session(target, job: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection for one job (:func:`job_connection`): the schema checked,
    the job's advisory lock held, and then runs whose process died marked abandoned
    (with the lock held, every run of this job still marked running is dead)."""
    from industry_clusters.db import migrate

    with job_connection(target) as conn:
        migrate.require_schema(conn)
        with advisory_lock(conn, job):
            conn.execute("SELECT registry.abandon_dead_runs(%s)", (job,))
            yield conn


def job_connection(target) -> psycopg.Connection:
    """An autocommit connection set up for a job's work (the job's own, or a helper of it).

    Temporary tables get 256 MB of session memory (``temp_buffers``). The server
    checks every few seconds that the client is still there
    (``client_connection_check_interval``, PostgreSQL 14+): if the job is killed in the
    middle of a long statement, that statement stops and rolls back at once instead
    of running to its end, and the job's locks are freed for the next run."""
    conn = connect(target, autocommit=True)
    try:
        conn.execute("SELECT set_config('client_connection_check_interval', '2s', false) "
                     "WHERE current_setting('client_connection_check_interval', true) "
                     "IS NOT NULL")
        # Jobs stage their work in temporary tables (a million points and their index at
        # the largest sizes): room for them in memory, not the default 8 MB. Only takes
        # effect before the session's first temporary table, hence here.
        conn.execute("SET temp_buffers = '256MB'")
    except BaseException:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def user_parameters() -> Iterator[None]:
    """SQL functions refuse bad parameters with ``invalid_parameter_value`` and a message
    written for the user (eps, min points, sectors...): raise it as a UserError."""
    try:
        yield
    except psycopg.errors.InvalidParameterValue as exc:
        raise UserError((exc.diag.message_primary or str(exc)).strip()) from None


@contextlib.contextmanager
def run_transaction(conn: psycopg.Connection, fail_sql: str, run_id: int) -> Iterator[None]:
    """The one transaction of a recorded run. If it fails, ``fail_sql`` (parameters: run
    id, error message) records the failure, committed on its own, and the error goes on;
    if the connection is lost, nothing can be recorded and the next job marks the run
    abandoned."""
    try:
        with conn.transaction():
            yield
    except BaseException as exc:
        if not conn.broken and not conn.closed:
            msg = interruption(exc) or (
                str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}")
            conn.execute(fail_sql, (run_id, redact(msg)[:2000]))
        raise


def project_root() -> Path:
    return SQL_DIR.parent
