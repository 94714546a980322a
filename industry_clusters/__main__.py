"""``python -m industry_clusters`` and the ``industry-clusters`` console command.

The signal handlers go in before the commands are imported (psycopg, click and the
steps: 0.2 s), so a Ctrl-C or SIGTERM in that moment also ends with one line and exit
130 or 143, not a traceback (cli.main then takes over). While importing, a signal is
noted, not raised: CPython can drop an exception that a handler raises in the middle of
an import (compile() clears it; every start compiles the package where
PYTHONDONTWRITEBYTECODE is set, as on this machine), and the command went on as if no
signal had come. From stop_on_signals on, errors._raise_later raises such a signal again
once the import is done; here, noting it says "while starting"."""

import signal
import sys

from industry_clusters.errors import Terminated, stop_on_signals


def run() -> None:
    noted: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda s, _frame: noted.append(s))
    from industry_clusters.cli import main

    try:
        stop_on_signals()  # from here a signal raises
        if noted:
            raise Terminated(noted[0])
    except Terminated as exc:
        print(f"Error: {exc} while starting; nothing was done", file=sys.stderr)
        sys.exit(exc.code)
    main(prog_name="industry-clusters")


if __name__ == "__main__":
    run()
