"""Test helpers shared by the test modules."""

from __future__ import annotations

from click.testing import CliRunner, Result

from industry_clusters.cli import cli


def run_cli(*args: str, url: str | None = None, input: str | None = None) -> Result:
    """Invoke the CLI in-process, as a user would type it."""
    argv = (["--database-url", url] if url else []) + list(args)
    return CliRunner().invoke(cli, argv, input=input, catch_exceptions=True)


def assert_one_line_error(result: Result, *fragments: str) -> str:
    """The command failed with exit 1 and a single 'Error: ...' line, no traceback."""
    out = result.output.strip()
    assert result.exit_code == 1, (result.exit_code, out, result.exception)
    assert "Traceback" not in out
    lines = out.splitlines()
    assert len(lines) == 1, out
    assert lines[0].startswith("Error: "), out
    for frag in fragments:
        assert frag in lines[0], (frag, lines[0])
    return lines[0]
