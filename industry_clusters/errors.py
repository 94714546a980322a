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


def _raise_terminated(signum, frame) -> None:
    raise Terminated(signum)


# The signal whose Terminated was swallowed, to raise again (_redeliver), and the hook
# that other unraisable exceptions go to
_swallowed: list[int] = []
_next_hook = sys.__unraisablehook__
REDELIVER_AFTER = 0.01  # s


def _raise_swallowed(signum, frame) -> None:
    if _swallowed:
        swallowed = _swallowed[-1]
        _swallowed.clear()
        raise Terminated(swallowed)


def _redeliver(unraisable) -> None:
    """sys.unraisablehook: Python runs a signal's handler wherever the main thread
    stands, also inside an object's __del__ or a weakref callback that the garbage
    collector runs, and an exception raised there is printed as "Exception ignored"
    and dropped. A SIGTERM met there was lost, and the job ran on until systemd's
    SIGKILL (a test loop running finalizers lost it 10 times in 10). Its Terminated is
    raised again REDELIVER_AFTER later (SIGALRM), once the finalizer has returned (and
    again, should that one land in a finalizer too). Raising it from here would only
    be dropped again: the hook is called from where the exception was."""
    if isinstance(unraisable.exc_value, Terminated):
        _swallowed.append(unraisable.exc_value.signum)
        signal.setitimer(signal.ITIMER_REAL, REDELIVER_AFTER)
    else:
        _next_hook(unraisable)


def stop_on_signals() -> None:
    """SIGTERM and SIGINT raise Terminated from here on (the one place that says so),
    also when the first raise is swallowed by a finalizer (_redeliver)."""
    signal.signal(signal.SIGTERM, _raise_terminated)
    signal.signal(signal.SIGINT, _raise_terminated)
    signal.signal(signal.SIGALRM, _raise_swallowed)
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
