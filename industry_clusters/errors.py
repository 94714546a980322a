"""Errors a user can act on. The CLI prints them as one line and exits 1."""


class UserError(Exception):
    """An expected failure: bad input, bad configuration, unreachable database.

    The message is one sentence saying what is wrong and what to do.
    """


class LockedError(UserError):
    """Another process holds the lock for this job (a second nightly run, say)."""
