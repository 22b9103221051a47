"""``hello-dd up`` as a user runs it: a subprocess that prints the URLs, serves, and stops on SIGTERM."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hello_dd.polling import poll
from hello_dd.stack import StackPorts

START_TIMEOUT = 90
READY_LINE = "Press Ctrl-C to stop."


@dataclass
class UpProcess:
    process: subprocess.Popen
    output: list[str] = field(default_factory=list)
    _lines: queue.Queue = field(default_factory=queue.Queue)

    def pump(self) -> None:
        """Move the process's output lines to the queue (in a thread); None marks the end."""
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def read_until(self, text: str, timeout: float) -> None:
        if self.output and text in self.output[-1]:
            return

        def next_line() -> str:
            line = self._lines.get(timeout=0.5)
            assert line is not None, f"hello-dd up ended before printing {text!r}:\n" + "".join(self.output)
            self.output.append(line)
            return line

        poll(next_line, lambda line: text in line, timeout=timeout, interval=0.0, retry_on=(queue.Empty,))

    def read_to_end(self) -> str:
        while (line := self._lines.get(timeout=10)) is not None:
            self.output.append(line)
        return "".join(self.output)

    def urls(self) -> dict[str, str]:
        return dict(re.findall(r"^\s+(\S+)\s+(http://127\.0\.0\.1:\d+)", "".join(self.output), re.MULTILINE))


def launch_up(state_dir: Path, ports: StackPorts, *options: str) -> UpProcess:
    """``hello-dd up`` on ``ports`` with its state in ``state_dir``, its output read in a thread."""
    flags = [f"--{role.replace('_', '-')}-port={port}" for role, port in ports.as_dict().items()]
    process = subprocess.Popen(
        [sys.executable, "-m", "hello_dd", "up", *flags, "--state-dir", str(state_dir), *options],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = UpProcess(process)
    threading.Thread(target=running.pump, daemon=True).start()
    return running


@pytest.fixture
def up(tmp_path: Path) -> Iterator[tuple[UpProcess, StackPorts]]:
    """``hello-dd up`` on free ports, started and ready; killed at the end if a test left it running."""
    ports = StackPorts.free()
    running = launch_up(tmp_path, ports)
    try:
        running.read_until(READY_LINE, START_TIMEOUT)
        yield running, ports
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait()


def _health(url: str) -> int:
    with urllib.request.urlopen(url + "/health", timeout=5) as response:
        return response.status


@pytest.mark.integration
def test_up_prints_the_urls_serves_and_stops_cleanly_on_sigterm(up, tmp_path, descendants, pid_alive):
    running, ports = up
    urls = running.urls()
    assert urls == {
        "api-gateway": f"http://127.0.0.1:{ports.gateway}",
        "inventory-service": f"http://127.0.0.1:{ports.inventory}",
        "pricing-service": f"http://127.0.0.1:{ports.pricing}",
        "test-agent": f"http://127.0.0.1:{ports.agent}",
        "otlp": f"http://127.0.0.1:{ports.otlp}",
    }
    for name in ("api-gateway", "inventory-service", "pricing-service"):
        assert _health(urls[name]) == 200
    with urllib.request.urlopen(urls["test-agent"] + "/info", timeout=5) as response:
        assert response.status == 200

    children = descendants(running.process.pid)
    assert len(children) == 4, children  # the agent and three services, nothing else

    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(timeout=30) == 0
    assert running.read_to_end().rstrip().endswith("Stopped: every process of the stack has ended.")
    assert [pid for pid in children if pid_alive(pid)] == []
    assert {path.name for path in (tmp_path / "logs").iterdir()} == {
        "test-agent.log",
        "inventory-service.log",
        "pricing-service.log",
        "api-gateway.log",
    }


@pytest.mark.integration
def test_up_stops_everything_and_fails_when_a_service_dies(up, descendants, pid_alive):
    running, _ = up
    children = descendants(running.process.pid)
    command_lines = {pid: Path(f"/proc/{pid}/cmdline").read_text().split("\0") for pid in children}
    victim = next(pid for pid, argv in command_lines.items() if "pricing-service" in argv)
    os.kill(victim, signal.SIGKILL)

    assert running.process.wait(timeout=30) == 2
    output = running.read_to_end()
    assert "hello-dd: error: pricing-service stopped unexpectedly (killed by SIGKILL)" in output
    assert [pid for pid in children if pid_alive(pid)] == []
