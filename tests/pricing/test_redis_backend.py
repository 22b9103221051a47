"""The application on the Redis backend: quotes survive across instances, expire in Redis, and the
client is opened in the lifespan and closed on shutdown. An unreachable Redis stops the start."""

from __future__ import annotations

import logging

import pytest
import redis
from fastapi.testclient import TestClient

from hello_dd.services.pricing.app import create_app

from .support import free_port, settings, wait_for

ORDER = {"items": [{"productId": "456", "quantity": 12}], "customerId": "redis-customer", "discountCode": "WELCOME5"}


def _connections(url: str) -> int:
    """Clients connected to the Redis server, other than the one asking."""
    with redis.Redis.from_url(url) as direct:
        return len(direct.client_list()) - 1


def test_health_reports_the_redis_backend(make_client, redis_url):
    assert make_client(redis_url=redis_url).get("/health").json()["cache"] == "redis"


def test_a_quote_stored_in_redis_is_readable_and_finalizable(make_client, redis_url):
    client = make_client(redis_url=redis_url)
    quote = client.post("/quotes", json=ORDER).json()
    assert client.get(f"/quotes/{quote['quoteId']}").json() == quote
    final = client.post(f"/quotes/{quote['quoteId']}/finalize").json()
    assert final["finalized"] is True
    assert (final["subtotal"], final["discountTotal"], final["taxableAmount"]) == (599.88, 34.99, 564.89)
    assert client.get(f"/quotes/{quote['quoteId']}").json() == final


def test_another_instance_on_the_same_redis_sees_the_quote(make_client, redis_url):
    issuer, finalizer = make_client(redis_url=redis_url), make_client(redis_url=redis_url)
    quote_id = issuer.post("/quotes", json=ORDER).json()["quoteId"]
    assert finalizer.post(f"/quotes/{quote_id}/finalize").json()["quoteId"] == quote_id
    assert issuer.get(f"/quotes/{quote_id}").json()["finalized"] is True


def test_a_quote_expires_in_redis_after_the_quote_ttl(make_client, redis_url):
    client = make_client(redis_url=redis_url, quote_ttl_seconds=0.5)
    quote_id = client.post("/quotes", json=ORDER).json()["quoteId"]
    assert client.get(f"/quotes/{quote_id}").status_code == 200
    with redis.Redis.from_url(redis_url) as direct:
        wait_for(lambda: direct.exists(f"pricing:quote:{quote_id}") == 0)
    response = client.post(f"/quotes/{quote_id}/finalize")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "QUOTE_NOT_FOUND")


def test_price_lookups_are_shared_through_redis(make_client, redis_url):
    first, second = make_client(redis_url=redis_url), make_client(redis_url=redis_url)
    first.get("/prices/789", params={"currency": "GBP"})
    assert second.get("/prices/789", params={"currency": "GBP"}).json()["finalPrice"] == 15.79
    assert second.get("/analytics/summary").json()["cache"] == {"backend": "redis", "hits": 1, "misses": 0}


def test_the_redis_client_is_closed_on_shutdown(redis_url):
    before = _connections(redis_url)
    with TestClient(create_app(settings(redis_url=redis_url))) as client:
        client.get("/prices/123")
        assert _connections(redis_url) > before
    wait_for(lambda: _connections(redis_url) == before)


def test_an_unreachable_redis_stops_the_service_from_starting(pricing_logs):
    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(RuntimeError, match="unreachable"), TestClient(create_app(settings(redis_url=url))):
        pass
    [error] = [r for r in pricing_logs if r.levelno == logging.ERROR]
    assert f"Redis at {url} is unreachable" in error.getMessage()


def test_losing_redis_at_runtime_is_a_503_not_a_crash(make_client, disposable_redis):
    url, server = disposable_redis
    client = make_client(redis_url=url)
    assert client.get("/prices/123").status_code == 200
    server.terminate()
    server.wait(timeout=10)
    response = client.get("/prices/123")
    assert (response.status_code, response.json()["error"]["code"]) == (503, "CACHE_UNAVAILABLE")
