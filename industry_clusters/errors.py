"""Errors a user can act on. The CLI prints them as one line and exits 1."""

import logging
import signal
import sys


class UserError(Exception):
    """An expected failure: bad input, bad configuration, unreachable database.

    The message is one sentence saying what is wrong and what to do.
    """


class LockedError(UserError):
    """Another process holds the lock for this job (a second nightly run, say)."""


class Terminated(SystemExit):
    """SIGTERM (systemd stopping the job, ``kill``) or SIGINT (Ctrl-C) arrived. A
    SystemExit, not a KeyboardInterrupt that click would turn into "Aborted!" and exit
    1: psycopg cancels the running query on either, the run is recorded failed, and
    the command exits 128 + the signal's number (143, 130) with one line."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(128 + signum)
        self.signum = signum

    def __str__(self) -> str:
        return ("interrupted by SIGINT (Ctrl-C)" if self.signum == signal.SIGINT
                else f"terminated by {signal.Signals(self.signum).name}")


# Where a Terminated raised by a signal's handler can be lost, and is raised again
# REDELIVER_AFTER later (SIGALRM) instead, as often as it lands in such a place:
# - in a frame of the import machinery: compile() clears an exception that a handler
#   raised while it ran (CPython 3.11; every start compiles the package where
#   PYTHONDONTWRITEBYTECODE is set, and the commands import their steps when they
#   start). An import loop lost a SIGTERM in 2 of 12 tries;
# - inside an object's __del__ or a weakref callback that the garbage collector runs:
#   the exception is printed as "Exception ignored" and dropped (sys.unraisablehook,
#   _redeliver). A loop making such garbage lost it in 10 tries of 10.
# A lost SIGTERM let the job run on until systemd's SIGKILL.
_IMPORTING = ("importlib._bootstrap", "importlib._bootstrap_external")
REDELIVER_AFTER = 0.01  # s
_pending: list[int] = []  # the signal to raise again
_next_hook = sys.__unraisablehook__  # where other unraisable exceptions go


def _raise_later(signum: int) -> None:
    _pending[:] = [signum]
    signal.setitimer(signal.ITIMER_REAL, REDELIVER_AFTER)


def _raise_terminated(signum, frame) -> None:
    if frame is not None and frame.f_globals.get("__name__") in _IMPORTING:
        _raise_later(signum)
    else:
        raise Terminated(signum)


def _raise_pending(_signum, frame) -> None:
    if _pending:
        _raise_terminated(_pending.pop(), frame)


def _redeliver(unraisable) -> None:
    """sys.unraisablehook: a Terminated dropped in a finalizer is raised again later
    (raised from here it would be dropped again: the hook is called from where it was)."""
    if isinstance(unraisable.exc_value, Terminated):
        _raise_later(unraisable.exc_value.signum)
    else:
        _next_hook(unraisable)


def stop_on_signals() -> None:
    """SIGTERM and SIGINT raise Terminated from here on (the one place that says so),
    also when the first raise would be lost (_raise_later)."""
    signal.signal(signal.SIGTERM, _raise_terminated)
    signal.signal(signal.SIGINT, _raise_terminated)
    signal.signal(signal.SIGALRM, _raise_pending)
    if sys.unraisablehook is not _redeliver:
        global _next_hook
        _next_hook, sys.unraisablehook = sys.unraisablehook, _redeliver


def first_line(exc: BaseException) -> str:
    """The first line of a library's error message (its name when it has none)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def interruption(exc: BaseException) -> str | None:
    """What to record for a run stopped by a signal, or None for an ordinary error."""
    if isinstance(exc, Terminated):
        return str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted by SIGINT (Ctrl-C)"
    return None


class _NotCleanup(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("error ignored")


def quiet_cleanup_errors() -> None:
    """psycopg logs as a warning each error it meets while cleaning up after the one
    that stops a command: ending a COPY the server has already failed (a corrupt .gz
    decodes to a broken line, then fails its CRC), a rollback on a lost connection. The
    command reports the first error in its one line; these follow from it, and printed
    they made three lines. psycopg's other warnings are still printed."""
    logger = logging.getLogger("psycopg")
    if not any(isinstance(f, _NotCleanup) for h in logger.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.addFilter(_NotCleanup())
        handler.setFormatter(logging.Formatter("Warning: %(message)s"))
        logger.addHandler(handler)
