"""Where the project's SQL and migrations live (top-level ``sql/`` and ``migrations/``)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "sql"
MIGRATIONS_DIR = ROOT / "migrations"


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
