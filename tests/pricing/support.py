"""Helpers the pricing tests share (plain functions; the fixtures are in conftest.py)."""

from __future__ import annotations

import socket
from collections.abc import Callable

from hello_dd.polling import poll
from hello_dd.services.common.settings import PricingSettings


def settings(**overrides: object) -> PricingSettings:
    """Test settings: no tracing, in-process cache unless a test names a Redis URL."""
    return PricingSettings(**{"tracer": "none", "redis_url": None, **overrides})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], object], timeout: float = 5.0, interval: float = 0.05) -> object:
    """Poll ``check`` until it returns something truthy; fail with the last value seen."""
    return poll(check, timeout=timeout, interval=interval, what="the condition")
