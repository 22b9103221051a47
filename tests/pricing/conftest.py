"""Fixtures for the pricing-service tests: the real application behind TestClient (so the lifespan
runs), a throwaway redis-server, and a handler that keeps the pricing loggers' records."""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from hello_dd.services.pricing.app import create_app

from .support import free_port, settings, wait_for

REDIS_START_SECONDS = 10.0

MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """Builds started clients (``make_client(quote_ttl_seconds=0.2)``); all are shut down at the end."""
    with ExitStack() as stack:

        def make(**overrides: object) -> TestClient:
            return stack.enter_context(TestClient(create_app(settings(**overrides))))

        yield make


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def pricing_logs() -> Iterator[list[logging.LogRecord]]:
    """Records of the ``hello_dd.services.pricing`` loggers (attached there, not on the root logger,
    because every app the tests create replaces the root handlers)."""
    handler = _Keep()
    logger = logging.getLogger("hello_dd.services.pricing")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


def _ping(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.2).ping())
    except redis.ConnectionError:
        return False


def _redis_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server); the Redis backend needs a real server")
    return binary


@contextmanager
def running_redis(workdir: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A redis-server without persistence on a free port, stopped on exit: its URL and process."""
    port = free_port()
    command = [_redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    command += ["--dir", str(workdir), "--logfile", str(workdir / "redis.log")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_for(lambda: process.poll() is not None or _ping(url), timeout=REDIS_START_SECONDS)
        if process.poll() is not None:
            pytest.fail(f"redis-server exited with {process.returncode}: {(workdir / 'redis.log').read_text()}")
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One throwaway Redis for the whole session; its URL."""
    with running_redis(tmp_path_factory.mktemp("redis")) as (url, _):
        yield url


@pytest.fixture
def disposable_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A Redis of the test's own, which the test may stop to see the service lose its cache."""
    with running_redis(tmp_path) as server:
        yield server


@pytest.fixture
def redis_url(redis_server: str) -> Iterator[str]:
    """The session's Redis, emptied so each test starts with cold caches."""
    with redis.Redis.from_url(redis_server) as connection:
        connection.flushall()
    yield redis_server
