"""Retry and circuit breaker policy, against small aiohttp servers on loopback that misbehave on cue."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hello_dd.services.common import correlation
from hello_dd.services.gateway.resilience import (
    CircuitBreakers,
    CircuitOpen,
    Dependency,
    DependencyFailed,
    DependencyTimeout,
    DependencyUnavailable,
    RetryPolicy,
)

FAST_RETRY = RetryPolicy(attempts=3, backoff_initial=0.01, backoff_max=0.02, budget_seconds=5)


class Script:
    """Answers each request with the next status in ``statuses`` (the last one repeats)."""

    def __init__(self, *statuses: int, delay: float = 0.0):
        self.statuses = list(statuses)
        self.delay = delay
        self.calls = 0
        self.headers: list = []

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        self.headers.append(request.headers.copy())  # case-insensitive, as HTTP headers are
        await asyncio.sleep(self.delay)
        status = self.statuses[min(self.calls, len(self.statuses)) - 1]
        return web.json_response({"ok": status < 400, "error": {"code": "X", "message": "scripted"}}, status=status)


@pytest.fixture
async def serve():
    servers: list[TestServer] = []
    sessions: list[aiohttp.ClientSession] = []

    async def start(script: Script, *, threshold: int = 5, reset: float = 30, timeout: float = 1.0, retry=FAST_RETRY):
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", script.handle)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        session = aiohttp.ClientSession()
        sessions.append(session)
        breakers = CircuitBreakers(threshold, reset)
        await breakers.register("dep")
        return Dependency("dep", str(server.make_url("")), session, timeout, retry, breakers)

    yield start
    for session in sessions:
        await session.close()
    for server in servers:
        await server.close()


async def test_a_transient_failure_is_retried_and_invisible_to_the_caller(serve):
    script = Script(503, 200)
    dep = await serve(script)
    reply = await dep.get("/thing")
    assert reply.status == 200 and reply.attempts == 2 and script.calls == 2


async def test_persistent_failure_gives_up_after_the_configured_attempts(serve):
    script = Script(500)
    dep = await serve(script)
    with pytest.raises(DependencyFailed) as failure:
        await dep.get("/thing")
    assert script.calls == 3 and failure.value.attempts == 3 and failure.value.status == 502


async def test_writes_are_never_retried(serve):
    script = Script(503, 200)
    dep = await serve(script)
    with pytest.raises(DependencyFailed):
        await dep.request("POST", "/reservations", idempotent=False, json={})
    assert script.calls == 1


async def test_client_errors_are_returned_not_retried(serve):
    script = Script(404)
    dep = await serve(script)
    reply = await dep.get("/missing")
    assert reply.status == 404 and script.calls == 1


async def test_a_timeout_is_reported_as_504_and_not_retried(serve):
    script = Script(200, delay=0.5)
    dep = await serve(script, timeout=0.1)
    with pytest.raises(DependencyTimeout) as failure:
        await dep.get("/slow")
    assert failure.value.status == 504 and script.calls == 1


async def test_an_unreachable_dependency_is_503(serve):
    script = Script(200)
    dep = await serve(script)
    dep.base_url = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(DependencyUnavailable) as failure:
        await dep.get("/x")
    assert failure.value.status == 503 and failure.value.attempts == 3


async def test_the_circuit_opens_after_the_threshold_and_then_fails_fast(serve):
    script = Script(500)
    dep = await serve(script, threshold=4, retry=RetryPolicy(attempts=2, backoff_initial=0.01, backoff_max=0.01))
    for _ in range(2):  # 2 calls x 2 attempts = 4 failures
        with pytest.raises(DependencyFailed):
            await dep.get("/x")
    assert await dep.circuit_state() == "open"
    calls_before = script.calls
    with pytest.raises(CircuitOpen) as failure:
        await dep.get("/x")
    assert script.calls == calls_before, "an open circuit must not reach the dependency"
    assert failure.value.attempts == 0 and failure.value.status == 503, "a refused call is no attempt"


async def test_a_reset_closes_an_open_circuit_at_once_and_forgets_its_failures(serve):
    script = Script(500, 500, 500, 200, 200)
    dep = await serve(script, threshold=2, reset=30, retry=RetryPolicy(attempts=1))
    for _ in range(2):
        with pytest.raises(DependencyFailed):
            await dep.get("/x")
    assert await dep.circuit_state() == "open"
    await dep.breakers.reset()
    assert await dep.circuit_state() == "closed", "the reset hook must not wait for the 30 s cool-down"
    with pytest.raises(DependencyFailed):  # one failure after the reset: below the threshold of 2
        await dep.get("/x")
    assert await dep.circuit_state() == "closed", "the failures before the reset must not count"
    assert (await dep.get("/x")).status == 200


async def test_the_circuit_half_opens_after_the_cool_down_and_closes_on_success(serve):
    script = Script(500, 500, 200)
    dep = await serve(script, threshold=2, reset=0.3, retry=RetryPolicy(attempts=1))
    for _ in range(2):
        with pytest.raises(DependencyFailed):
            await dep.get("/x")
    assert await dep.circuit_state() == "open"
    await asyncio.sleep(0.4)
    assert await dep.circuit_state() == "half-open", "after the cool-down the next call is a trial"
    assert (await dep.get("/x")).status == 200
    assert await dep.circuit_state() == "closed"


async def test_a_failed_trial_reopens_the_circuit(serve):
    script = Script(500)
    dep = await serve(script, threshold=1, reset=0.2, retry=RetryPolicy(attempts=1))
    with pytest.raises(DependencyFailed):
        await dep.get("/x")
    await asyncio.sleep(0.3)
    with pytest.raises(DependencyFailed):
        await dep.get("/x")  # the trial call reaches the dependency and fails
    assert await dep.circuit_state() == "open"
    with pytest.raises(CircuitOpen):
        await dep.get("/x")


async def test_client_errors_do_not_count_against_the_circuit(serve):
    script = Script(404)
    dep = await serve(script, threshold=2)
    for _ in range(5):
        await dep.get("/missing")
    assert await dep.circuit_state() == "closed"


async def test_correlation_and_request_ids_are_sent_downstream(serve):
    script = Script(200)
    dep = await serve(script)
    token_c = correlation.correlation_id_var.set("corr-1")
    token_r = correlation.request_id_var.set("req-1")
    try:
        await dep.get("/x")
    finally:
        correlation.correlation_id_var.reset(token_c)
        correlation.request_id_var.reset(token_r)
    assert script.headers[0]["X-Correlation-Id"] == "corr-1"
    assert script.headers[0]["X-Request-Id"] == "req-1"
