"""The Locust workers ``hello-dd load-worker`` starts: ``python -m hello_dd.harness.load.worker HOST PORT
PROCESSES`` becomes Locust, this project's locustfile, joined to the master at HOST:PORT.

The command checks its options, then runs this module by its name in a fresh interpreter: ``hello-dd`` is
the services' command, which the service image ships without the suite, so it imports nothing of the
harness (the import contracts in pyproject.toml say so)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from hello_dd.harness.load.distribution import worker_command


def main(argv: Sequence[str]) -> None:
    host, port, processes = argv
    command = worker_command(host, int(port), processes=int(processes))
    os.execv(command[0], command)  # Locust in this process: Ctrl-C and SIGTERM go straight to it


if __name__ == "__main__":
    main(sys.argv[1:])
