"""A project-local PostgreSQL cluster: initdb + pg_ctl on a directory we own.

Used by ``industry-clusters db start`` (``.pgdata/`` in the project) and by the test
harness (a throwaway directory). It listens on a Unix socket inside its data
directory, so it never clashes with a server already on port 5432; the test harness
also opens a loopback TCP port with password authentication.

PostgreSQL refuses to run as root; as root we run its binaries as the ``postgres``
user (``runuser -u postgres --``) on a directory that user owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

from industry_clusters.config import DEFAULT_DBNAME
from industry_clusters.errors import UserError

SUPERUSER = "postgres"


def pg_bindir() -> Path:
    """Directory of initdb/pg_ctl: $INDUSTRY_CLUSTERS_PG_BINDIR, Debian's newest, or PATH."""
    env = os.environ.get("INDUSTRY_CLUSTERS_PG_BINDIR")
    if env:
        return Path(env)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    raise UserError("PostgreSQL server binaries (initdb, pg_ctl) not found: run 'make setup' "
                    "or apt-get install postgresql-15 postgresql-15-postgis-3")


class LocalCluster:
    def __init__(self, datadir: Path, *, tcp_port: int | None = None,
                 settings: dict[str, str] | None = None):
        self.datadir = Path(datadir).resolve()
        self.socketdir = self.datadir / "socket"
        self.tcp_port = tcp_port
        self.settings = settings or {}

    # -- running binaries ---------------------------------------------------
    @staticmethod
    def _as_root() -> bool:
        return os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(pg_bindir() / args[0]), *args[1:]]
        if self._as_root():
            cmd = ["runuser", "-u", SUPERUSER, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd="/")
        if check and proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise UserError(f"{args[0]} failed: "
                            f"{detail[-1] if detail else f'exit {proc.returncode}'}")
        return proc

    # -- state ----------------------------------------------------------------
    @property
    def initialised(self) -> bool:
        return (self.datadir / "PG_VERSION").exists()

    def running(self) -> bool:
        if not self.initialised:
            return False
        return self._run("pg_ctl", "-D", str(self.datadir), "status", check=False).returncode == 0

    def url(self, dbname: str = DEFAULT_DBNAME) -> str:
        return (f"postgresql://{SUPERUSER}@/{dbname}?host={quote(str(self.socketdir), safe='')}"
                f"&port={self.tcp_port or 5432}")

    def tcp_url(self, user: str, password: str, dbname: str = DEFAULT_DBNAME) -> str:
        return (f"postgresql://{quote(user)}:{quote(password, safe='')}@127.0.0.1:"
                f"{self.tcp_port}/{dbname}")

    # -- lifecycle ------------------------------------------------------------
    def init(self) -> None:
        if self.initialised:
            return
        self.datadir.mkdir(parents=True, exist_ok=True)
        if self._as_root():
            pw = pwd.getpwnam(SUPERUSER)
            os.chown(self.datadir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.datadir, 0o700)
        self._run("initdb", "-D", str(self.datadir), "-U", SUPERUSER, "-E", "UTF8",
                  "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256")
        conf = {
            "listen_addresses": "'127.0.0.1'" if self.tcp_port else "''",
            "port": str(self.tcp_port or 5432),
            "unix_socket_directories": f"'{self.socketdir}'",
            "unix_socket_permissions": "0700",
            "shared_buffers": "'512MB'",
            "work_mem": "'64MB'",
            "maintenance_work_mem": "'512MB'",
            "max_wal_size": "'2GB'",
            "jit": "off",
            "logging_collector": "off",
            **self.settings,
        }
        with open(self.datadir / "postgresql.auto.conf", "a", encoding="utf-8") as f:
            f.write("# written by industry-clusters\n")
            f.writelines(f"{k} = {v}\n" for k, v in conf.items())

    def start(self) -> None:
        self.init()
        if self.running():
            return
        self.socketdir.mkdir(exist_ok=True)
        if self._as_root():
            pw = pwd.getpwnam(SUPERUSER)
            os.chown(self.socketdir, pw.pw_uid, pw.pw_gid)
        self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.datadir / "server.log"),
                  "-w", "-t", "60", "start")
        self._ensure_database()

    def stop(self) -> None:
        if self.running():
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")

    def _ensure_database(self) -> None:
        import psycopg

        for _ in range(50):
            try:
                conn = psycopg.connect(self.url("postgres"), autocommit=True)
                break
            except psycopg.OperationalError:
                time.sleep(0.1)
        else:
            raise UserError(f"the local cluster in {self.datadir} did not accept connections; "
                            f"see {self.datadir / 'server.log'}")
        from industry_clusters.db import create_database

        with conn:
            create_database(conn, DEFAULT_DBNAME)
