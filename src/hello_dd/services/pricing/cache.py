"""One small cache interface with two backends: in process (``cachetools.TTLCache``) and Redis.

Each ``Cache`` is a namespace whose entries expire ``ttl`` seconds after they are written. Values are
JSON-encoded in both backends (``Decimal`` as a string, so money survives the round trip exactly), so
code tested against the in-process cache behaves the same against Redis.

Redis is used when ``REDIS_URL`` is set. If it is set but unreachable at startup the service refuses
to start: silently falling back to a per-process cache would hide the misconfiguration and split
quotes between replicas.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from cachetools import TTLCache
from redis.exceptions import RedisError

from hello_dd.services.common.settings import PricingSettings
from hello_dd.services.pricing.errors import CacheUnavailable

log = logging.getLogger(__name__)

Backend = Literal["memory", "redis"]
# The in-process backend evicts the oldest entries beyond these sizes (Redis is the backend for scale):
# prices need one entry per product and currency, quotes one per quote issued within the quote TTL.
PRICE_MAX_ENTRIES = 10_000
QUOTE_MAX_ENTRIES = 100_000
REDIS_CONNECT_TIMEOUT_SECONDS = 2.0
# A hung Redis must fail a request (503) well before the gateway's own timeout, not hang it.
REDIS_SOCKET_TIMEOUT_SECONDS = 1.0


def _encode_default(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot cache a {type(value).__name__}")


def encode(value: Any) -> str:
    return json.dumps(value, default=_encode_default, separators=(",", ":"))


class Cache(ABC):
    """A namespace of JSON values that expire ``ttl`` seconds after being written."""

    backend: ClassVar[Backend]

    def __init__(self, ttl: float):
        self.ttl = ttl

    async def get(self, key: str) -> Any | None:
        raw = await self._read(key)
        return None if raw is None else json.loads(raw)

    async def set(self, key: str, value: Any) -> None:
        await self._write(key, encode(value))

    @abstractmethod
    async def _read(self, key: str) -> str | None: ...

    @abstractmethod
    async def _write(self, key: str, raw: str) -> None: ...


class MemoryCache(Cache):
    """Entries live in this process only; fine for one replica and for tests."""

    backend = "memory"

    def __init__(self, ttl: float, max_entries: int):
        super().__init__(ttl)
        self._entries: TTLCache[str, str] = TTLCache(maxsize=max_entries, ttl=ttl)

    async def _read(self, key: str) -> str | None:
        return self._entries.get(key)

    async def _write(self, key: str, raw: str) -> None:
        self._entries[key] = raw


class RedisCache(Cache):
    """Entries live in Redis under ``<namespace>:<key>``, shared by every replica; Redis expires them."""

    backend = "redis"

    def __init__(self, client: aioredis.Redis, namespace: str, ttl: float):
        super().__init__(ttl)
        self._client = client
        self._namespace = namespace

    async def _read(self, key: str) -> str | None:
        with _unavailable_on_error():
            raw = await self._client.get(f"{self._namespace}:{key}")
        return raw.decode() if isinstance(raw, bytes) else raw

    async def _write(self, key: str, raw: str) -> None:
        with _unavailable_on_error():
            await self._client.set(f"{self._namespace}:{key}", raw, px=max(1, round(self.ttl * 1000)))


@contextmanager
def _unavailable_on_error() -> Iterator[None]:
    """Redis failing mid-flight is a dependency failure (503 CACHE_UNAVAILABLE), not a bug (500)."""
    try:
        yield
    except RedisError as exc:
        log.error("Redis request failed: %s", exc, extra={"error_type": type(exc).__name__})
        raise CacheUnavailable() from exc


@dataclass(frozen=True)
class Caches:
    """The two namespaces the service uses, on one backend."""

    backend: Backend
    prices: Cache
    quotes: Cache


def redact(url: str) -> str:
    """The URL without its password, fit for a log line."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + host))


async def connect_redis(url: str) -> aioredis.Redis:
    """A client that has answered PING, or ``RuntimeError`` after a log line naming the URL."""
    client: aioredis.Redis | None = None
    try:
        client = aioredis.from_url(
            url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS, socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS
        )
        await client.ping()
    except (RedisError, OSError, ValueError) as exc:
        if client is not None:
            await client.aclose()
        log.error(
            "Redis at %s is unreachable (%s); the service will not start without the cache REDIS_URL names",
            redact(url),
            exc,
            extra={"redis_url": redact(url)},
        )
        raise RuntimeError(f"Redis at {redact(url)} is unreachable: {exc}") from exc
    log.info("pricing cache: Redis at %s", redact(url), extra={"redis_url": redact(url)})
    return client


@asynccontextmanager
async def open_caches(settings: PricingSettings) -> AsyncIterator[Caches]:
    """The caches for the service's lifetime; a Redis client is closed when the service stops.
    An empty ``REDIS_URL`` (as compose files often leave it) means unset."""
    if not settings.redis_url:
        log.info("pricing cache: in process")
        yield Caches(
            "memory",
            MemoryCache(settings.cache_ttl_seconds, PRICE_MAX_ENTRIES),
            MemoryCache(settings.quote_ttl_seconds, QUOTE_MAX_ENTRIES),
        )
        return
    client = await connect_redis(settings.redis_url)
    try:
        yield Caches(
            "redis",
            RedisCache(client, "pricing:price", settings.cache_ttl_seconds),
            RedisCache(client, "pricing:quote", settings.quote_ttl_seconds),
        )
    finally:
        await client.aclose()
