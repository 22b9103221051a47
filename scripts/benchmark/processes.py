"""The processes a benchmark measures: a stack of this repository's services with its test agent, and
the calibration (a bare FastAPI endpoint), with their CPU time and resident memory."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psutil

from hello_dd import topology
from hello_dd.polling import poll
from hello_dd.stack import LocalStack, StackPorts, Tracer, free_port, http_ok

PRODUCT = "/api/v1/products/123"
GATEWAY, INVENTORY, PRICING = topology.GATEWAY.name, topology.INVENTORY.name, topology.PRICING.name
AGENT = topology.TEST_AGENT.name
SCRIPTS = Path(__file__).resolve().parent.parent
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _processes(stack: LocalStack) -> dict[str, list[psutil.Process]]:
    found = {}
    for name, pid in stack.pids.items():
        try:
            process = psutil.Process(pid)
            found[name] = [process, *process.children(recursive=True)]
        except psutil.NoSuchProcess:
            pass
    return found


def rss_mib(stack: LocalStack) -> dict[str, float]:
    """Resident memory of each process of the stack (with its children), in MiB."""
    sizes = {}
    for name, processes in _processes(stack).items():
        total = 0
        for process in processes:
            with suppress(psutil.NoSuchProcess):
                total += process.memory_info().rss
        sizes[name] = total / 2**20
    return sizes


def cpu_seconds(stack: LocalStack) -> dict[str, float]:
    times = {}
    for name, processes in _processes(stack).items():
        total = 0.0
        for process in processes:
            try:
                cpu = process.cpu_times()
                total += cpu.user + cpu.system
            except psutil.NoSuchProcess:
                pass
        times[name] = total
    return times


def services_cpu_seconds(stack: LocalStack) -> float:
    return sum(seconds for name, seconds in cpu_seconds(stack).items() if name != AGENT)


@contextmanager
def memory_watch(stack: LocalStack, every: float = 0.5) -> Iterator[list[float]]:
    """Samples the whole stack's resident memory while the block runs; yields the list of samples."""
    samples: list[float] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            samples.append(sum(rss_mib(stack).values()))
            done.wait(every)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield samples
    finally:
        done.set()
        watcher.join()


@contextmanager
def running_stack(tracer: Tracer, env: dict[str, str] | None = None) -> Iterator[LocalStack]:
    workdir = Path(tempfile.mkdtemp(prefix="hello-dd-bench-"))
    stack = LocalStack(StackPorts.free(), workdir=workdir, tracer=tracer, extra_env=env)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _agent(stack: LocalStack, path: str, timeout: float = 120) -> bytes:
    with _http.open(stack.urls["otlp"] + path, timeout=timeout) as response:
        return response.read()


def forget_traces(stack: LocalStack) -> None:
    """Makes the test agent drop every payload it has stored (its OTLP and Datadog sides share one store)."""
    _agent(stack, "/test/session/clear")


@contextmanager
def bare_endpoint(start_timeout: float = 30.0) -> Iterator[tuple[str, psutil.Process]]:
    """The calibration app in one uvicorn process of this virtual environment, on a free loopback port:
    its URL and its process."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="hello-dd-calibration-", suffix=".log", delete=False)  # noqa: SIM115 - open while the process writes to it, closed in the finally below
    command = [sys.executable, "-m", "uvicorn", "calibration_app:app", "--app-dir", str(SCRIPTS),
               "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"]  # fmt: skip  # each option beside its value
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        poll(
            lambda: http_ok(url) or process.poll() is not None,
            timeout=start_timeout,
            interval=0.1,
            fail=lambda _, __: RuntimeError(
                f"the calibration endpoint did not start: {Path(log.name).read_text()[-2000:]}"
            ),
        )
        if process.poll() is not None:
            raise RuntimeError(f"the calibration endpoint exited: {Path(log.name).read_text()[-2000:]}")
        yield url, psutil.Process(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        Path(log.name).unlink(missing_ok=True)
