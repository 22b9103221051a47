"""Failures on demand on inventory and pricing (services/common/simulate.py): the cascade's probes are
always there, bounded, and touch only the request that asks; the simulate endpoints (a test hook)
answer 404 to every method unless the service is started with SIMULATE_ENDPOINTS=true."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hello_dd.services.common.settings import InventorySettings, PricingSettings
from hello_dd.services.inventory.app import create_app as inventory_app
from hello_dd.services.pricing.app import create_app as pricing_app

MakeApp = Callable[[Path, dict[str, str]], FastAPI]
SERVICES: dict[str, MakeApp] = {
    "inventory-service": lambda tmp, env: inventory_app(
        InventorySettings(database_url=f"sqlite:///{tmp / 'inventory.db'}", tracer="none", **env)
    ),
    "pricing-service": lambda tmp, env: pricing_app(PricingSettings(tracer="none", **env)),
}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@pytest.fixture(params=sorted(SERVICES))
def make_client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(**env: str) -> TestClient:
        client = TestClient(SERVICES[request.param](tmp_path, env), raise_server_exceptions=False)
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.mark.parametrize("method", METHODS)
def test_without_the_setting_every_simulate_endpoint_answers_404(make_client, method):
    client = make_client()
    for path in ("/simulate/crash", "/simulate/error", "/simulate/latency?ms=1", "/simulate/anything"):
        response = client.request(method, path)
        assert (response.status_code, response.json()["error"]["code"]) == (404, "NOT_FOUND"), (method, path)
    assert not any(path.startswith("/simulate") for path in client.get("/openapi.json").json()["paths"])


def test_with_the_setting_a_simulated_crash_is_a_documented_500(make_client):
    client = make_client(simulate_endpoints="true")
    response = client.get("/simulate/crash")
    assert (response.status_code, response.json()["error"]["code"]) == (500, "INTERNAL_ERROR")
    assert "/simulate/crash" in client.get("/openapi.json").json()["paths"]


def test_the_cascade_probe_fails_on_request(make_client):
    response = make_client().get("/cascade-probe/error")
    assert (response.status_code, response.json()["error"]["code"]) == (503, "SIMULATED_FAILURE")


def test_the_slow_cascade_probe_sleeps_then_answers(make_client):
    client = make_client()
    started = time.perf_counter()
    response = client.get("/cascade-probe/slow", params={"ms": 50})
    assert (response.status_code, response.json()) == (200, {"delayedMs": 50})
    assert time.perf_counter() - started >= 0.05


@pytest.mark.parametrize("params", [{"ms": -1}, {"ms": 10_001}, {"ms": "slow"}, {}])
def test_the_slow_cascade_probe_is_bounded(make_client, params):
    response = make_client().get("/cascade-probe/slow", params=params)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "VALIDATION_ERROR")
