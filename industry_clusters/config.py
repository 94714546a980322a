"""Connection settings, resolved the libpq way.

Order: an explicit ``--database-url`` / ``DATABASE_URL``; else libpq's own ``PG*``
variables and ``pg_service.conf`` (``PGSERVICE``); else the project-local cluster
started by ``industry-clusters db start`` (``.pgdata/`` in the working directory, or
``INDUSTRY_CLUSTERS_PGDATA``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

APPLICATION_NAME = "industry-clusters"
DEFAULT_SRID = 4547  # CGCS2000 / 3-degree Gauss-Kruger CM 114E: metres, covers Foshan
DEFAULT_DBNAME = "industry_clusters"

# libpq variables that, when set, mean "the user configured libpq; use it".
_LIBPQ_VARS = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE",
               "PGSERVICEFILE")


@dataclass(frozen=True)
class Target:
    """Where to connect, and how the user chose it (for messages)."""

    conninfo: str  # a libpq URL or key=value string; "" means libpq defaults
    source: str  # "--database-url", "DATABASE_URL", "libpq environment", "local cluster"


def local_pgdata() -> Path:
    return Path(os.environ.get("INDUSTRY_CLUSTERS_PGDATA", ".pgdata")).resolve()


def normalise_url(url: str) -> str:
    """Accept SQLAlchemy-style URLs (postgresql+psycopg://) as well as libpq ones."""
    return re.sub(r"^postgres(?:ql)?\+[a-z0-9_]+://", "postgresql://", url.strip())


def resolve(database_url: str | None = None) -> Target:
    if database_url:
        return Target(normalise_url(database_url), "--database-url")
    env = os.environ.get("DATABASE_URL")
    if env:
        return Target(normalise_url(env), "DATABASE_URL")
    if any(os.environ.get(v) for v in _LIBPQ_VARS):
        return Target("", "libpq environment")
    from industry_clusters.db.localdb import LocalCluster

    return Target(LocalCluster(local_pgdata()).url(), "local cluster")


_PW_IN_URL = re.compile(r"(://[^:/?#@\s]*:)([^@/?#\s]*)(@)")
_PW_KV = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
_PW_QUERY = re.compile(r"([?&]password=)([^&\s]*)", re.IGNORECASE)


def redact(text: str) -> str:
    """Remove passwords from URLs, key=value conninfo and query strings in ``text``."""
    text = _PW_IN_URL.sub(r"\1***\3", text)
    text = _PW_KV.sub(r"\1***", text)
    return _PW_QUERY.sub(r"\1***", text)
