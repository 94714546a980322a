"""Test helpers shared by the test modules."""

from __future__ import annotations

from click.testing import CliRunner, Result

from industry_clusters.cli import cli


def run_cli(*args: str, url: str | None = None, input: str | None = None) -> Result:
    """Invoke the CLI in-process, as a user would type it."""
    argv = (["--database-url", url] if url else []) + list(args)
    return CliRunner().invoke(cli, argv, input=input, catch_exceptions=True)


def one_line_error(output: str, *fragments: str, warnings: bool = False) -> str:
    """The output is a single 'Error: ...' line (with the fragments), no traceback; with
    ``warnings``, after any number of one-line 'Warning: ...' (a library's, GDAL's)."""
    out = output.strip()
    assert "Traceback" not in out, out
    lines = out.splitlines()
    if warnings:
        assert all(ln.startswith("Warning: ") for ln in lines[:-1]), out
        lines = lines[-1:]
    assert len(lines) == 1, out
    assert lines[0].startswith("Error: "), out
    for frag in fragments:
        assert frag in lines[0], (frag, lines[0])
    return lines[0]


def assert_one_line_error(result: Result, *fragments: str) -> str:
    """The command failed with exit 1 and a single 'Error: ...' line, no traceback."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    return one_line_error(result.output, *fragments)


def assert_no_traceback(result: Result, exit_codes: tuple[int, ...] = (0, 1),
                        warnings: bool = False) -> None:
    """Success or a refusal: an allowed exit code, no exception escaping the command,
    and a failure (exit 1) told in one line (after one-line warnings, with ``warnings``)."""
    assert result.exit_code in exit_codes, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in result.output, result.output
    if result.exit_code == 1:
        one_line_error(result.output, warnings=warnings)
