"""Paths: where the project's SQL and migrations live (top-level ``sql/`` and
``migrations/``), the format a file's extension names, whether a place for output
can be written and a file there replaced, and a path as text."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "sql"
MIGRATIONS_DIR = ROOT / "migrations"


def as_text(value) -> str:
    """A path (or a message naming one) as text for the database and the terminal. A
    file name that is not UTF-8 (a GBK name from a zip made on Windows) reaches Python
    with its bytes as surrogates, which neither PostgreSQL nor a strict terminal takes:
    they are shown as \\xNN."""
    text = os.fspath(value)
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def check_layout() -> None:
    from industry_clusters.errors import UserError

    for p in (SQL_DIR, MIGRATIONS_DIR):
        if not p.is_dir():
            raise UserError(
                f"{p} is missing: install industry-clusters from its checkout "
                "(pip install -e .), which keeps sql/ and migrations/ beside the package"
            )


def format_from_suffix(path: Path, fmt: str | None, by_suffix: dict[str, str], what: str) -> str:
    """``fmt`` if given, else the format ``by_suffix`` names for the file's extension."""
    from industry_clusters.errors import UserError

    if fmt:
        return fmt
    found = by_suffix.get(path.suffix.lower())
    if not found:
        raise UserError(f"cannot tell the {what} format of {path.name} from its extension; pass "
                        f"--format {'|'.join(sorted(set(by_suffix.values())))}")
    return found


def writable_dir(where: Path, output: Path) -> None:
    """Make directory ``where`` (created if missing) ready for ``output``, or raise a
    UserError in one line: a parent that is a file, a directory that cannot be created,
    or one that takes no new file. Called before any work, so that an hour's sweep or a
    night's export does not end in a traceback at its last step."""
    from industry_clusters.errors import UserError

    where = Path(where)
    if blocker := next((p for p in (where, *where.parents) if p.exists() and not p.is_dir()),
                       None):
        raise UserError(f"cannot write {output}: {blocker} is a file, not a directory; "
                        "choose another place")
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot write {output}: cannot create the directory {where} "
                        f"({exc.strerror}); choose another place") from None
    probe = where / f".industry-clusters-probe-{os.getpid()}"
    try:
        probe.open("wb").close()
        probe.unlink()
    except OSError as exc:
        raise UserError(f"cannot write {output}: cannot create a file in {where} "
                        f"({exc.strerror}); choose another place") from None


def replaceable_file(output: Path, overwrite: bool) -> Path:
    """The file an output named ``output`` replaces, or a UserError in one line: an
    existing file without ``overwrite``, or a directory, device, pipe or socket (as root,
    ``export /dev/null --overwrite`` replaced the device with a regular file). A
    symbolic link is followed, as the shell's ``>`` follows it: the file it points to is
    replaced and the link stays."""
    from industry_clusters.errors import UserError

    given = output = Path(output)
    try:
        if output.is_symlink():
            output = output.resolve(strict=False)
        if not output.exists():
            return output
    except (OSError, RuntimeError) as exc:  # RuntimeError: a loop of links
        raise UserError(f"cannot write {output}: "
                        f"{getattr(exc, 'strerror', None) or exc}; choose another place") from None
    if not output.is_file():
        kind = "a directory" if output.is_dir() else "not a regular file"
        raise UserError(f"cannot write {output}: it is {kind}; choose another place")
    if not overwrite:
        raise UserError(f"{given} exists; pass --overwrite to replace it")
    return output


def output_file(output: Path, overwrite: bool) -> Path:
    """The file to write for ``output`` (a link followed), checked before any work: it
    may be replaced (replaceable_file) and its directory takes a new file (writable_dir),
    where the finished file is moved into place."""
    target = replaceable_file(output, overwrite)
    writable_dir(target.parent, target)
    return target


@contextmanager
def replacing(output: Path, overwrite: bool, fmt: str) -> Iterator[Path]:
    """Yield a temporary path beside ``output``, moved onto it once complete: a failed
    or killed export leaves the previous file (or none), never a partial one."""
    output = output_file(output, overwrite)  # found out before any reading
    # a name of our own: GDAL never sees the user's (quotes and the like confuse it), and
    # the format's own extension (GDAL warns of a GeoPackage named otherwise)
    part = output.with_name(f".industry-clusters-partial-{os.getpid()}.{fmt}")
    part.unlink(missing_ok=True)
    try:
        yield part
        os.replace(part, output)
    finally:
        part.unlink(missing_ok=True)
