"""How a load run is spread over Locust processes, and their command lines.

By default a load run is one Locust process. With workers it is Locust's own master and workers,
connected over TCP exactly as on several machines: the master shapes the load and gathers the
figures, the workers run the users.

- ``-D load_workers=N``: N worker processes on this machine;
- ``-D load_remote_workers=M``: the master also waits for M workers started on other machines with
  ``hello-dd load-worker --master HOST:PORT``;
- ``-D load_master_bind=HOST:PORT``: where the master listens (default 127.0.0.1 on a free port, so
  only workers on this machine can join; ``0.0.0.0:5557`` lets other machines in).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hello_dd.stack import ports

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
#: Users finish the task they are in when a stage ramps down or the run ends (k6's graceful ramp-down),
#: so every request a user started is answered and counted.
STOP_TIMEOUT_SECONDS = 10
#: How long the master waits for its workers to connect before it gives up: workers on this machine
#: start in seconds; workers elsewhere may have to be started by hand.
WORKERS_WAIT_SECONDS = {"local": 60, "remote": 300}
_ANY_INTERFACE = ("", "*", "0.0.0.0", "::")


def parse_address(text: str, default_host: str = "0.0.0.0") -> tuple[str, int]:
    """``HOST``, ``HOST:PORT`` or ``:PORT`` -> (host, port); the port defaults to Locust's 5557."""
    return ports.parse_address(text, ports.LOCUST_MASTER_PORT, default_host)


def _count(userdata: Mapping[str, str], name: str) -> int:
    text = userdata.get(name, "0")
    if not text.strip().isdigit():
        raise ValueError(f"-D {name}={text}: a number of workers (0 or more)")
    return int(text)


@dataclass(frozen=True)
class LoadDistribution:
    """Worker processes on this machine (``workers``), workers the master waits for from elsewhere
    (``remote_workers``), and where the master listens (``bind_port`` None: a free port)."""

    workers: int = 0
    remote_workers: int = 0
    bind_host: str = "127.0.0.1"
    bind_port: int | None = None

    @classmethod
    def from_userdata(cls, userdata: Mapping[str, str]) -> LoadDistribution:
        workers, remote = _count(userdata, "load_workers"), _count(userdata, "load_remote_workers")
        bind = userdata.get("load_master_bind")
        if bind is None:
            if remote:
                raise ValueError(
                    "-D load_remote_workers needs -D load_master_bind=HOST:PORT, an address the other machines can reach"
                )
            return cls(workers)
        if not workers + remote:
            raise ValueError(
                "-D load_master_bind is for a master with workers: add -D load_workers=N and/or -D load_remote_workers=M"
            )
        host, port = parse_address(bind)
        return cls(workers, remote, host, port)

    @property
    def distributed(self) -> bool:
        return self.workers + self.remote_workers > 0

    @property
    def workers_wait_seconds(self) -> int:
        return WORKERS_WAIT_SECONDS["remote" if self.remote_workers else "local"]

    def with_port(self) -> LoadDistribution:
        """The same, with the master's port chosen (a free one if none was given)."""
        return (
            self
            if self.bind_port
            else LoadDistribution(self.workers, self.remote_workers, self.bind_host, ports.free_port())
        )

    @property
    def master_port(self) -> int:
        """The port the master listens on, once chosen (:meth:`with_port`)."""
        if self.bind_port is None:
            raise ValueError("the master's port is not chosen yet: call with_port() first")
        return self.bind_port

    @property
    def local_master_host(self) -> str:
        """The address local workers connect to."""
        return "127.0.0.1" if self.bind_host in _ANY_INTERFACE else self.bind_host


def _locust(*options: str) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), *options, "--exit-code-on-error", "0"]


def runner_command(host: str, csv_prefix: Path, distribution: LoadDistribution) -> list[str]:
    """The process that shapes the load and writes the figures: the only one (not distributed) or the master."""
    common = ["--headless", "--host", host, "--csv", str(csv_prefix), "--csv-full-history", "--only-summary",
              "--stop-timeout", str(STOP_TIMEOUT_SECONDS)]  # fmt: skip  # each option beside its value
    if not distribution.distributed:
        return _locust(*common, "--skip-log-setup", "--loglevel", "WARNING")
    return _locust(
        *common, "--master", "--master-bind-host", distribution.bind_host, "--master-bind-port", str(distribution.master_port),
        "--expect-workers", str(distribution.workers + distribution.remote_workers),
        "--expect-workers-max-wait", str(distribution.workers_wait_seconds),
    )  # fmt: skip  # each option beside its value


def worker_command(master_host: str, master_port: int, processes: int = 1) -> list[str]:
    """A Locust worker of this project's locustfile, connecting to the master at ``master_host:master_port``;
    ``processes`` > 1 forks that many workers (one per CPU core is Locust's advice)."""
    forks = ["--processes", str(processes)] if processes > 1 else []
    return _locust("--worker", "--master-host", master_host, "--master-port", str(master_port), *forks)
