"""Errors a user can act on. The CLI prints them as one line and exits 1."""


class UserError(Exception):
    """An expected failure: bad input, bad configuration, unreachable database.

    The message is one sentence saying what is wrong and what to do.
    """


class LockedError(UserError):
    """Another process holds the lock for this job (a second nightly run, say)."""


class Terminated(SystemExit):
    """SIGTERM arrived (systemd stopping the job, ``kill``): unwind like Ctrl-C, so the
    running query is cancelled and the run recorded failed, then exit 143."""

    def __init__(self) -> None:
        super().__init__(143)

    def __str__(self) -> str:
        return "terminated by SIGTERM"


def interruption(exc: BaseException) -> str | None:
    """What to record for a run stopped by a signal, or None for an ordinary error."""
    if isinstance(exc, Terminated):
        return str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted by SIGINT (Ctrl-C)"
    return None
