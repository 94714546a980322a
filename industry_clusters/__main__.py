"""``python -m industry_clusters`` and the ``industry-clusters`` console command.

The signal handlers go in before the commands are imported (psycopg, click and the
steps: 0.2 s), so a Ctrl-C or SIGTERM in that moment also ends with one line and exit
130 or 143, not a traceback (cli.main then takes over)."""

import sys

from industry_clusters.errors import Terminated, stop_on_signals


def run() -> None:
    stop_on_signals()
    try:
        from industry_clusters.cli import main
    except Terminated as exc:
        print(f"Error: {exc} while starting; nothing was done", file=sys.stderr)
        sys.exit(exc.code)
    main(prog_name="industry-clusters")


if __name__ == "__main__":
    run()
