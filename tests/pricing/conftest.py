"""Fixtures for the pricing-service tests: the real application behind TestClient (so the lifespan
runs), the session's Redis emptied for each test (tests/conftest.py starts the Redis servers), and a
handler that keeps the pricing loggers' records."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
import redis
from fastapi.testclient import TestClient

from hello_dd.services.pricing.app import create_app

from .support import settings

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


@pytest.fixture
def redis_url(redis_server: str) -> Iterator[str]:
    """The session's Redis, emptied so each test starts with cold caches."""
    with redis.Redis.from_url(redis_server) as connection:
        connection.flushall()
    yield redis_server
