"""One long-running child process: its own process group, its output appended to a log file, and a
stop that never leaves anything behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

STOP_TIMEOUT_SECONDS = 10.0


def exit_reason(code: int) -> str:
    """``exit code 3``, or ``killed by SIGKILL`` for a process ended by a signal."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class ManagedProcess:
    def __init__(self, name: str, command: Sequence[str], env: Mapping[str, str], log_path: Path, cwd: Path):
        self.name = name
        self.command = list(command)
        self.env = dict(env)
        self.log_path = log_path
        self.cwd = cwd
        self._popen: subprocess.Popen[bytes] | None = None
        # Cleared once the group has been swept after the process ended: its pid may be reused later.
        self._group_may_exist = False

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen else None

    @property
    def running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    @property
    def exit_code(self) -> int | None:
        """The exit code once the process has ended, ``None`` while it runs or before it started."""
        return self._popen.poll() if self._popen else None

    def start(self) -> None:
        if self.running:
            raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            # A session of its own: a Ctrl-C in the terminal reaches only the launcher, which then stops
            # the children in order; and the whole group can be signalled at once.
            self._popen = subprocess.Popen(
                self.command,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._group_may_exist = True

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the process group (a no-op when the group is gone)."""
        if self._popen is None or not self._group_may_exist:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._popen.pid, signum)

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the process to end; True when it has."""
        if self._popen is None:
            return True
        try:
            self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """SIGTERM to the group, SIGKILL after ``timeout``; idempotent."""
        self.signal(signal.SIGTERM)
        self.finish_stop(timeout)

    def finish_stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Second half of :meth:`stop`, for callers that sent SIGTERM to several processes at once."""
        if self._popen is None:
            return
        if not self.wait(timeout):
            self.signal(signal.SIGKILL)
            self._popen.wait()
        # Anything the process left in its group (children it did not reap) goes too.
        self.signal(signal.SIGKILL)
        self._group_may_exist = False

    def log_tail(self, lines: int = 20) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - 64 * 1024))
                text = log.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])
