"""The two cache backends behave alike: JSON values (exact Decimals), a TTL, and namespaced keys."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import redis

from hello_dd.services.pricing.cache import Cache, MemoryCache, RedisCache, connect_redis, open_caches, redact

from .support import free_port, settings

VALUE = {"amount": Decimal("29.99"), "at": datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC), "n": 3, "items": ["a"]}
STORED = {"amount": "29.99", "at": "2030-01-02T03:04:05+00:00", "n": 3, "items": ["a"]}


async def _round_trip_and_expiry(cache: Cache) -> None:
    assert await cache.get("k") is None
    await cache.set("k", VALUE)
    assert await cache.get("k") == STORED
    await asyncio.sleep(cache.ttl + 0.1)
    assert await cache.get("k") is None


async def test_memory_cache_keeps_json_values_until_the_ttl():
    await _round_trip_and_expiry(MemoryCache(ttl=0.2, max_entries=10))


async def test_memory_cache_drops_the_oldest_entries_when_full():
    cache = MemoryCache(ttl=60, max_entries=2)
    for key in ("a", "b", "c"):
        await cache.set(key, key)
    assert [await cache.get(key) for key in ("a", "b", "c")] == [None, "b", "c"]


async def test_a_value_that_is_not_json_is_refused():
    with pytest.raises(TypeError, match="cannot cache a set"):
        await MemoryCache(ttl=1, max_entries=10).set("k", {1, 2})


async def test_redis_cache_keeps_json_values_until_the_ttl(redis_url):
    client = await connect_redis(redis_url)
    try:
        await _round_trip_and_expiry(RedisCache(client, "test", ttl=0.3))
    finally:
        await client.aclose()


async def test_redis_cache_keys_are_namespaced_and_expire_in_redis(redis_url):
    client = await connect_redis(redis_url)
    try:
        await RedisCache(client, "pricing:price", ttl=30).set("123:USD", {"x": 1})
        with redis.Redis.from_url(redis_url) as direct:
            assert direct.get("pricing:price:123:USD") == b'{"x":1}'
            assert 0 < direct.pttl("pricing:price:123:USD") <= 30_000
    finally:
        await client.aclose()


async def test_without_redis_url_both_namespaces_are_in_process():
    async with open_caches(settings(quote_ttl_seconds=5, cache_ttl_seconds=7)) as caches:
        assert caches.backend == "memory"
        assert (caches.prices.ttl, caches.quotes.ttl) == (7, 5)
        await caches.prices.set("k", 1)
        assert await caches.quotes.get("k") is None


async def test_with_redis_url_both_namespaces_share_one_redis(redis_url):
    async with open_caches(settings(redis_url=redis_url)) as caches:
        assert caches.backend == "redis"
        await caches.quotes.set("q1", {"quoteId": "q1"})
        assert await caches.quotes.get("q1") == {"quoteId": "q1"}
        assert await caches.prices.get("q1") is None


async def test_an_unreachable_redis_is_an_error_with_a_clear_log_line(pricing_logs):
    url = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    with pytest.raises(RuntimeError, match="unreachable"):
        async with open_caches(settings(redis_url=url)):
            pass
    errors = [r for r in pricing_logs if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "is unreachable" in errors[0].getMessage()
    assert "s3cret" not in errors[0].getMessage()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("redis://:pw@cache:6379/1", "redis://:***@cache:6379/1"),
        ("rediss://user:pw@cache:6380", "rediss://user:***@cache:6380"),
    ],
)
def test_passwords_never_reach_the_log(url, shown):
    assert redact(url) == shown


async def test_an_empty_redis_url_means_in_process():
    async with open_caches(settings(redis_url="")) as caches:
        assert caches.backend == "memory"
