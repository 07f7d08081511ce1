"""Assertions shared by the command-line tests."""

from __future__ import annotations

from typer.testing import Result


def ok(result: Result) -> str:
    """The standard output of a command that must have succeeded."""
    assert result.exit_code == 0, f"{result.output}{result.exception!r}"
    return result.stdout


def one_line_error(result: Result) -> str:
    """The error line of a command that must have failed cleanly: exit code, one line, no
    traceback."""
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0].removeprefix("error: ")
