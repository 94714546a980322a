"""Faults that must lose nothing: a killed process, a restarted server, readers during
a refresh, a timeout or a cancel. Each fault is placed deterministically: another
session holds a table lock that the job needs at the chosen step, so the job is known
to be exactly there when the fault strikes."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time

import psycopg
import pytest
from points import blob, insert_points

from helpers import one_line_error
from industry_clusters.cluster import run_clustering

# Where a job is held: a lock on what that step writes. clustering.compute blocks on
# its first write to clustering.clusters; the refresh blocks on the last of the views
# (an uncommitted refresh of it holds its EXCLUSIVE lock), the others already refreshed.
AT_CLUSTERING = ("LOCK TABLE clustering.clusters IN SHARE MODE", "%clustering.compute%")
AT_REFRESH = ("REFRESH MATERIALIZED VIEW CONCURRENTLY publish.tier_structure",
              "%refresh_published%")


@pytest.fixture
def published(db_url):
    """Enterprises in four blobs and some noise, clustered and published (run 1). Its
    own connection, closed at once: a test may restart the server."""
    rng = random.Random(7)
    with psycopg.connect(db_url) as conn:
        for n, x in ((40, 0), (80, 2500), (150, 5000)):
            insert_points(conn, blob(rng, n, x, 0, 150))
        insert_points(conn, blob(rng, 45, 0, 2500, 150), sector="comms", district="南海区")
        insert_points(conn, [(rng.uniform(-9000, 9000), rng.uniform(-9000, 9000))
                             for _ in range(200)])
    run_clustering(db_url)
    return db_url


def state(url: str) -> dict[str, str]:
    """A fingerprint of everything readers see, and of the enterprise table."""
    out = {}
    with psycopg.connect(url) as c:
        for rel, key in (("publish.clusters", "cluster_id"), ("publish.enterprises", "enterprise_id"),
                         ("publish.district_sector_stats", "stat_id"),
                         ("publish.tier_stats", "stat_id"), ("publish.tier_structure", "stat_id"),
                         ("registry.enterprises", "enterprise_id"),
                         ("clustering.clusters", "cluster_id")):
            out[rel] = c.execute(f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' "
                                 f"ORDER BY {key})), '') FROM {rel} t").fetchone()[0]
    return out


def spawn(url: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    """The real command in its own process, as cron or systemd would run it."""
    return subprocess.Popen([sys.executable, "-m", "industry_clusters", "--database-url", url,
                             *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, **(env or {})})


@contextlib.contextmanager
def holding(url: str, lock_sql: str):
    """Another session holding a lock until the block ends (or the server goes away)."""
    c = psycopg.connect(url)
    c.execute(lock_sql)
    try:
        yield c
    finally:
        with contextlib.suppress(psycopg.Error):
            c.rollback()
        c.close()


def wait_blocked(url: str, query_like: str, job: subprocess.Popen | threading.Thread,
                 timeout: float = 60) -> int:
    """Wait until the backend of ``job`` (a CLI process, or a thread reading through the
    package) waits for a held lock in ``query_like``; its pid."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as c:
        while time.monotonic() < deadline:
            row = c.execute("SELECT pid FROM pg_stat_activity WHERE application_name = "
                            "'industry-clusters' AND wait_event_type = 'Lock' AND query LIKE %s",
                            (query_like,)).fetchone()
            if row:
                return row[0]
            if isinstance(job, threading.Thread):
                assert job.is_alive(), "it ended without waiting"
            else:
                assert job.poll() is None, job.communicate()[0]
            time.sleep(0.05)
    raise AssertionError(f"the job never reached {query_like}")


def wait_gone(url: str, pid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as c:
        while c.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s",
                        (pid,)).fetchone()[0]:
            assert time.monotonic() < deadline, f"backend {pid} still there"
            time.sleep(0.05)


def statuses(url: str) -> list[str]:
    with psycopg.connect(url) as c:
        return [r[0] for r in c.execute("SELECT status FROM clustering.runs ORDER BY run_id")]


@pytest.mark.parametrize("step", [AT_CLUSTERING, AT_REFRESH], ids=["clustering", "refresh"])
def test_kill_9_loses_nothing(published, step):
    before = state(published)
    lock_sql, query = step
    with holding(published, lock_sql):
        proc = spawn(published, "cluster", "--eps", "300")
        pid = wait_blocked(published, query, proc)
        proc.kill()
        proc.wait()
    wait_gone(published, pid)  # the server noticed the dead client and rolled back
    assert state(published) == before
    assert statuses(published) == ["succeeded", "running"]
    # the next job marks the killed run abandoned, then succeeds
    again = run_clustering(published, eps=300)
    assert statuses(published) == ["succeeded", "abandoned", "succeeded"]
    assert state(published) != before and again.clusters > 0


def test_server_restart_mid_run(published, pg_server):
    """A restart (or, on a server the tests do not own, the job's backend terminated)
    gives a one-line error and publishes nothing; the next run succeeds."""
    before = state(published)
    with holding(published, AT_REFRESH[0]):
        proc = spawn(published, "cluster", "--eps", "300")
        pid = wait_blocked(published, AT_REFRESH[1], proc)
        if pg_server.restart:
            pg_server.restart()
        else:
            with pg_server.admin() as a:
                a.execute("SELECT pg_terminate_backend(%s)", (pid,))
        out = proc.communicate(timeout=60)[0]
    assert proc.returncode == 1
    line = one_line_error(out)
    assert "connection" in line or "terminat" in line, line
    assert state(published) == before
    assert statuses(published) == ["succeeded", "running"]  # could not record its failure
    run_clustering(published, eps=300)
    assert statuses(published) == ["succeeded", "abandoned", "succeeded"]


def test_readers_during_refresh_see_old_or_new(published):
    """QGIS-style readers polling publish while runs are refreshed: never an error,
    never an empty layer, only the results of one run or the other."""
    results = {}
    for eps in (60, 500):  # eps 60 (min points 10) leaves the smaller blobs out
        run_clustering(published, eps=eps, min_points=10)
        with psycopg.connect(published) as c:
            results[eps] = c.execute("SELECT (SELECT count(*) FROM publish.clusters), (SELECT "
                                     "count(*) FROM publish.enterprises WHERE cluster_key IS NOT "
                                     "NULL)").fetchone()
    assert results[60] != results[500]
    seen, errors, stop = [], [], threading.Event()

    def reader():
        try:
            with psycopg.connect(published, autocommit=True) as c:
                c.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
                while not stop.is_set():
                    with c.transaction():  # one snapshot for both layers
                        n = c.execute("SELECT count(*), count(*) FILTER (WHERE "
                                      "ST_IsValid(geom)) FROM publish.clusters").fetchone()
                        m = c.execute("SELECT count(*) FROM publish.enterprises WHERE "
                                      "cluster_key IS NOT NULL").fetchone()[0]
                    seen.append((n[0], m))
                    assert n[0] == n[1]
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for eps in (60, 500, 60, 500):
            run_clustering(published, eps=eps, min_points=10)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    assert len(seen) > 10 and set(seen) <= {results[60], results[500]}
    assert len(set(seen)) == 2  # the readers did see both


def test_a_snapshot_reader_during_the_first_publication_sees_one_run(db_url):
    """The first publication rebuilds publish.enterprises with a plain REFRESH, which is
    not MVCC-safe: a snapshot taken before it commits would read the new enterprises
    beside the old, empty publish.clusters. The CLI's readers (export, stats) wait for
    it before taking their snapshot."""
    from industry_clusters.db import snapshot

    with psycopg.connect(db_url) as run:
        insert_points(run, blob(random.Random(3), 40, 0, 0, 150))
        run.execute("SELECT clustering.refresh_published()")
        run.commit()
        run.execute("SELECT clustering.run(500, 30)")  # not committed yet
        seen, errors = [], []

        def reader():
            try:
                with snapshot(db_url) as c:
                    seen.append(c.execute("SELECT count(*) FROM publish.clusters").fetchone()[0])
                    seen.append(c.execute("SELECT count(*) FROM publish.enterprises "
                                          "WHERE cluster_key IS NOT NULL").fetchone()[0])
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        thread = threading.Thread(target=reader)
        thread.start()
        wait_blocked(db_url, "%publish.%", thread, timeout=30)
        run.commit()
        thread.join()
    assert not errors, errors
    assert seen == [1, 40]


SIGNALLED = {"SIGINT": "interrupted by SIGINT (Ctrl-C)", "SIGTERM": "terminated by SIGTERM"}


@pytest.mark.parametrize("how", ["statement_timeout", "pg_cancel_backend", "SIGINT", "SIGTERM"])
def test_timeout_or_cancel_stops_a_run_cleanly(published, how):
    before = state(published)
    env = {"PGOPTIONS": "-c statement_timeout=1500"} if how == "statement_timeout" else {}
    with holding(published, AT_CLUSTERING[0]):
        proc = spawn(published, "cluster", "--eps", "300", env=env)
        pid = wait_blocked(published, AT_CLUSTERING[1], proc)
        if how == "pg_cancel_backend":
            with psycopg.connect(published, autocommit=True) as c:
                c.execute("SELECT pg_cancel_backend(%s)", (pid,))
        elif how.startswith("SIG"):
            proc.send_signal(getattr(signal, how))
        out = proc.communicate(timeout=60)[0]
    assert proc.returncode != 0 and "Traceback" not in out, out
    if how in ("statement_timeout", "pg_cancel_backend"):
        assert proc.returncode == 1
        assert "cancel" in one_line_error(out)
    else:  # 128 + the signal's number, as a shell reports a job stopped by it
        assert proc.returncode == 128 + getattr(signal, how), out
        assert one_line_error(out).endswith(f"{SIGNALLED[how]}; the work in progress was "
                                            "rolled back"), out
    wait_gone(published, pid)
    assert state(published) == before
    assert statuses(published) == ["succeeded", "failed"]  # recorded, not left running
    with psycopg.connect(published) as c:
        error = c.execute("SELECT error FROM clustering.runs WHERE status = 'failed'").fetchone()[0]
    assert error and (how not in SIGNALLED or error == SIGNALLED[how]), error
    # and the lock is free again: the next run goes ahead
    run_clustering(published, eps=300)
    assert statuses(published)[-1] == "succeeded"


def catches(pid: int, signum: int) -> bool:
    """Whether the process has a handler of its own for the signal (/proc: SigCgt)."""
    with open(f"/proc/{pid}/status") as f:
        mask = next(int(line.split()[1], 16) for line in f if line.startswith("SigCgt:"))
    return bool(mask >> (signum - 1) & 1)


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("command", ["console script", "python -m"])
def test_a_signal_while_the_command_starts_ends_in_one_line(how, command):
    """Python catches no SIGTERM of its own: the moment the command's handler is there,
    it is still importing (0.2 s of psycopg, click and the steps). A signal then ends it
    with the same exit code, and one line, not a traceback."""
    argv = ([os.path.join(os.path.dirname(sys.executable), "industry-clusters")]
            if command == "console script" else [sys.executable, "-m", "industry_clusters"])
    proc = subprocess.Popen([*argv, "--help"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while not catches(proc.pid, signal.SIGTERM):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[0]
        time.sleep(0.001)
    proc.send_signal(getattr(signal, how))
    out = proc.communicate(timeout=30)[0]
    assert proc.returncode == 128 + getattr(signal, how), out
    assert out == f"Error: {SIGNALLED[how]} while starting; nothing was done\n", out


# A loop that a signal should stop (Terminated), printing "ran on" if it ends on its own
STOPPABLE = """
import sys, time
from industry_clusters.errors import Terminated, stop_on_signals

class Garbage:
    def __del__(self):
        sum(range(2000))

stop_on_signals()
print("ready", flush=True)
start = time.monotonic()
try:
    while time.monotonic() - start < 20:
        {body}
except Terminated as exc:
    print("stopped", flush=True)
    sys.exit(exc.code)
print("ran on", flush=True)
"""
LOOPS = {
    # garbage whose finalizer runs Python code: the collector runs the finalizers, and a
    # signal's handler often runs inside one of them
    "in a finalizer": "a, b = Garbage(), Garbage(); a.other, b.other = b, a; del a, b",
    # a command's lazy import, compiled from source (PYTHONDONTWRITEBYTECODE)
    "in an import": "sys.modules.pop('industry_clusters.cli', None); "
                    "import industry_clusters.cli",
}


@pytest.mark.parametrize("where", LOOPS)
def test_a_signal_that_python_would_drop_still_stops_the_command(where):
    """Python runs a signal's handler wherever the main thread is. Inside a __del__ that
    the garbage collector runs, an exception raised there is dropped ("Exception ignored
    in"); inside compile(), which an import of a module without bytecode calls, it is
    cleared. A SIGTERM there was lost (in a finalizer 10 times in 10, in an import about
    one time in three) and the job ran on until systemd's SIGKILL. It is now raised again
    once Python is back in ordinary code (errors._raise_later)."""
    rng = random.Random(7)
    for _ in range(8):
        proc = subprocess.Popen(
            [sys.executable, "-c", STOPPABLE.format(body=LOOPS[where])],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        assert proc.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.05, 0.4))
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=60)[0]
        assert (proc.returncode, out) == (128 + signal.SIGTERM, "stopped\n")


def test_kill_9_of_a_nightly_then_resume(db_url, tmp_path):
    """A nightly killed in its clustering step; the next nightly resumes and publishes."""
    from registry_files import row, write_csv

    rows = [row() for _ in range(35)]
    first = write_csv(tmp_path / "first.csv", rows)
    assert spawn(db_url, "nightly", str(first), "--crs", "wgs84").wait() == 0
    before = state(db_url)
    more = write_csv(tmp_path / "more.csv",
                     rows + [row(经度="113.200000", 纬度="23.100000") for _ in range(35)])
    with holding(db_url, AT_CLUSTERING[0]):
        proc = spawn(db_url, "nightly", str(more), "--crs", "wgs84")
        pid = wait_blocked(db_url, AT_CLUSTERING[1], proc)
        proc.kill()
        proc.wait()
    wait_gone(db_url, pid)
    after = state(db_url)
    assert {k: v for k, v in after.items() if k.startswith("publish.")} == \
        {k: v for k, v in before.items() if k.startswith("publish.")}
    assert after["registry.enterprises"] != before["registry.enterprises"]  # load committed
    proc = spawn(db_url, "nightly", str(more), "--crs", "wgs84")
    out = proc.communicate(timeout=120)[0]
    assert proc.returncode == 0, out
    assert "already loaded" in out  # the load had committed before the kill: not redone
    assert statuses(db_url) == ["succeeded", "abandoned", "succeeded"]
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT count(*) FROM publish.clusters").fetchone()[0] == 2


def test_a_job_abandons_its_kind_of_run_while_the_dead_process_exits(published, tmp_path):
    """A killed job's server process frees its advisory lock before it leaves
    pg_stat_activity. A job starting in that moment holds the lock, so a run of its own
    kind still marked running is dead and marked abandoned, though its process is still
    listed; a run of another kind is judged by its process alone. The exiting process is
    played by a live session holding no lock."""
    from industry_clusters.load import load_file
    from registry_files import row, write_csv

    with psycopg.connect(published, autocommit=True) as ghost:
        ghost.execute("INSERT INTO registry.load_runs (kind, file_name, file_sha256, file_bytes, "
                      "format, crs) VALUES ('enterprises', 'killed.csv', 'x', 1, 'csv', "
                      "'wgs84')")
        ghost.execute("SELECT clustering.start_run()")

        def runs() -> tuple[list[str], list[str]]:
            with psycopg.connect(published) as c:
                return ([r[0] for r in c.execute("SELECT status FROM registry.load_runs "
                                                 "ORDER BY load_run_id")], statuses(published))

        assert runs() == (["running"], ["succeeded", "running"])
        assert load_file(published, write_csv(tmp_path / "a.csv", [row()]), crs="wgs84",
                         full_refresh=False).status == "succeeded"
        assert runs() == (["abandoned", "succeeded"], ["succeeded", "running"])
        run_clustering(published)
        assert runs() == (["abandoned", "succeeded"], ["succeeded", "abandoned", "succeeded"])
