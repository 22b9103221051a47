"""The Locust processes of one load run: started with their output in a log file each, watched with a
deadline, and all ended when the run is over, also when it fails or is interrupted (Ctrl-C)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from hello_dd.polling import PollTimeout, poll

POLL_SECONDS = 0.2
#: After the main process ended, how long the others may take to end by themselves (workers quit
#: when their master tells them to) before they are stopped.
GRACE_SECONDS = 5.0
#: How long a process may take to end after SIGTERM before it is killed.
TERM_SECONDS = 5.0


class LoadRunError(RuntimeError):
    """A Locust process of a load run failed, or the run took too long."""


class LocustProcesses:
    """``with LocustProcesses(log_dir, label) as run: run.start(...); run.wait_for("master", 60)``."""

    def __init__(self, log_dir: Path, label: str):
        self.log_dir, self.label = log_dir, label
        self.processes: dict[str, subprocess.Popen] = {}

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{self.label}-{name}.log"

    def log_tail(self, name: str, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path(name).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def start(self, name: str, command: list[str], env: Mapping[str, str]) -> None:
        with self.log_path(name).open("w") as log:
            self.processes[name] = subprocess.Popen(
                command, env=dict(env), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

    def _failure(self, name: str, what: str) -> LoadRunError:
        return LoadRunError(f"Locust {name} {what} (log: {self.log_path(name)}):\n{self.log_tail(name)}")

    def wait_for(self, main: str, seconds: float) -> None:
        """Until ``main`` ends with exit status 0. Raises when it fails, when another process fails
        first, or after ``seconds``."""

        def exit_status() -> int | None:
            if (code := self.processes[main].poll()) is not None:
                return code
            for name, process in self.processes.items():
                if name != main and process.poll() not in (None, 0):
                    raise self._failure(name, f"ended with exit status {process.returncode} during the run")
            return None

        code = poll(
            exit_status,
            lambda code: code is not None,
            timeout=seconds,
            interval=POLL_SECONDS,
            fail=lambda *_: self._failure(main, f"did not finish within {seconds:.0f} s"),
        )
        if code != 0:
            raise self._failure(main, f"ended with exit status {code}")

    def stop_all(self, grace: float) -> None:
        """Lets every process end by itself for ``grace`` seconds, then SIGTERM, then SIGKILL."""
        running = [p for p in self.processes.values() if p.poll() is None]

        def still_running() -> list[subprocess.Popen[bytes]]:
            return [p for p in running if p.poll() is None]

        for stage, seconds in (("wait", grace), ("terminate", TERM_SECONDS), ("kill", TERM_SECONDS)):
            if stage != "wait":
                for process in running:
                    getattr(process, stage)()
            with contextlib.suppress(PollTimeout):  # then on to the next stage
                poll(still_running, lambda left: not left, timeout=seconds, interval=POLL_SECONDS / 4)
            if not (running := still_running()):
                return

    def __enter__(self) -> LocustProcesses:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop_all(GRACE_SECONDS if kind is None else 0.0)
