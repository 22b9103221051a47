"""Calls to a dependency with a per-attempt timeout, retries for idempotent calls, and a circuit breaker.

Policy (also in docs/resilience.md):
- every attempt has the dependency's timeout;
- only idempotent calls are retried, and only on connection failures and 502/503/504 answers, with
  exponential backoff and jitter (tenacity), within an overall time budget; a timeout is not retried,
  because a dependency that is too slow is usually overloaded and more attempts only add load;
- each dependency has one circuit breaker (purgatory): every failed attempt counts, ``threshold``
  consecutive failures open it, an open circuit fails fast for ``reset_seconds``, then one trial
  decides between closing it again and reopening it;
- 4xx answers are the caller's problem, not the dependency's: they neither count as failures nor
  get retried.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
from prometheus_client import Counter, Gauge, Histogram
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from hello_dd.services.common.correlation import outgoing_headers
from hello_dd.services.common.metrics import LATENCY_BUCKETS

log = logging.getLogger(__name__)

DOWNSTREAM_CALLS = Counter(
    "downstream_requests_total",
    "Attempts to call a dependency, by dependency and outcome.",
    ["dependency", "outcome"],
)
DOWNSTREAM_LATENCY = Histogram(
    "downstream_request_duration_seconds",
    "Duration of one attempt to call a dependency.",
    ["dependency", "outcome"],
    buckets=LATENCY_BUCKETS,
)
RETRIES = Counter("downstream_retries_total", "Retries of idempotent calls, by dependency.", ["dependency"])
CIRCUIT_STATE = Gauge(
    "circuit_breaker_state", "Circuit breaker state per dependency: 0 closed, 1 half-open, 2 open.", ["dependency"]
)
CIRCUIT_TRANSITIONS = Counter(
    "circuit_breaker_transitions_total",
    "Circuit breaker state changes, by dependency and new state.",
    ["dependency", "state"],
)

# purgatory's state names -> the names this API uses
_STATE_NAMES = {"closed": "closed", "opened": "open", "half-opened": "half-open"}
_STATE_VALUES = {"closed": 0, "half-open": 1, "open": 2}


class DependencyError(Exception):
    """A dependency could not give an answer. ``status`` is what the gateway answers its own caller."""

    status = 502
    code = "DEPENDENCY_FAILED"
    retryable = True

    def __init__(self, dependency: str, message: str, attempts: int = 1):
        super().__init__(message)
        self.dependency = dependency
        self.message = message
        self.attempts = attempts


class DependencyFailed(DependencyError):
    """The dependency answered with a server error (5xx) or an unreadable body."""


class DependencyUnavailable(DependencyError):
    status = 503
    code = "DEPENDENCY_UNAVAILABLE"


class DependencyTimeout(DependencyError):
    status = 504
    code = "DEPENDENCY_TIMEOUT"
    retryable = False


class CircuitOpen(DependencyUnavailable):
    code = "CIRCUIT_OPEN"
    retryable = False


@dataclass(frozen=True)
class Reply:
    """A dependency's answer (2xx or 4xx) and how many attempts it took."""

    status: int
    body: Any
    attempts: int

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff_initial: float = 0.05
    backoff_max: float = 0.5
    budget_seconds: float = 4.0


class CircuitBreakers:
    """One circuit breaker per dependency, with its state exported as a metric and logged on change."""

    def __init__(self, threshold: int, reset_seconds: float):
        self.threshold = threshold
        self.reset_seconds = reset_seconds
        self.names: list[str] = []
        self.factory = self._new_factory()

    def _new_factory(self) -> AsyncCircuitBreakerFactory:
        # A caller that hangs up mid-call says nothing about the dependency's health.
        factory = AsyncCircuitBreakerFactory(
            default_threshold=self.threshold, default_ttl=self.reset_seconds, exclude=[asyncio.CancelledError]
        )
        factory.add_listener(self._on_event)
        return factory

    def _on_event(self, name: str, event_type: str, event: Any) -> None:
        if event_type == "state_changed":
            state = _STATE_NAMES.get(event.state, event.state)
            CIRCUIT_STATE.labels(name).set(_STATE_VALUES.get(state, -1))
            CIRCUIT_TRANSITIONS.labels(name, state).inc()
            log.warning(
                "circuit breaker for %s is now %s", name, state, extra={"dependency": name, "circuit_state": state}
            )

    async def register(self, name: str) -> None:
        await self.factory.get_breaker(name)
        CIRCUIT_STATE.labels(name).set(0)
        if name not in self.names:
            self.names.append(name)

    async def reset(self) -> None:
        """Every circuit closed with no failure counted, as at start-up (a test hook: the suite's clean-up
        between scenarios, instead of waiting out a cool-down). Calls already under way finish on the
        breakers they started with."""
        self.factory = self._new_factory()
        for name in self.names:
            await self.register(name)
        log.warning("circuit breakers reset: %s closed", ", ".join(self.names), extra={"circuit_state": "closed"})

    async def state(self, name: str) -> str:
        """The state as a caller would meet it now: an open circuit whose cool-down has passed lets the
        next call through as a trial, so it is reported half-open (the library switches lazily)."""
        context = (await self.factory.get_breaker(name)).context
        state = _STATE_NAMES.get(context.state, context.state)
        if state == "open" and context.opened_at is not None and time.time() > context.opened_at + context.ttl:
            return "half-open"
        return state


class Dependency:
    """HTTP access to one downstream service, with the resilience policy above."""

    def __init__(
        self,
        name: str,
        base_url: str,
        session: aiohttp.ClientSession,
        timeout: float,
        retry: RetryPolicy,
        breakers: CircuitBreakers,
    ):
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.timeout = timeout
        self.retry = retry
        self.breakers = breakers

    async def circuit_state(self) -> str:
        return await self.breakers.state(self.name)

    async def get(self, path: str, **kwargs: Any) -> Reply:
        return await self.request("GET", path, idempotent=True, **kwargs)

    async def request(
        self, method: str, path: str, *, idempotent: bool, json: Any = None, params: dict[str, Any] | None = None
    ) -> Reply:
        # The first attempt is made straight away: nearly every call succeeds at once, and setting up
        # tenacity's retry loop costs about 20 µs a call on the hot path. A failure enters the loop as
        # its first attempt's outcome; from there the policy is tenacity's, unchanged.
        started = time.monotonic()
        try:
            return await self._attempt(method, path, json, params, 1)
        except DependencyError as exc:
            first_failure = exc
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts if idempotent else 1)
            | stop_after_delay(self.retry.budget_seconds - (time.monotonic() - started)),
            wait=wait_exponential_jitter(
                multiplier=self.retry.backoff_initial, max=self.retry.backoff_max, jitter=self.retry.backoff_initial
            ),
            retry=retry_if_exception(lambda exc: isinstance(exc, DependencyError) and exc.retryable),
            before_sleep=self._before_retry,
            reraise=True,
        )
        attempts = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    if attempts == 1:
                        raise first_failure
                    return await self._attempt(method, path, json, params, attempts)
        except DependencyError as exc:
            # A call the open circuit refused was never sent: it is not an attempt.
            exc.attempts = attempts - 1 if isinstance(exc, CircuitOpen) else attempts
            raise
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    def _before_retry(self, state: RetryCallState) -> None:
        RETRIES.labels(self.name).inc()
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "retrying %s after attempt %d failed: %s",
            self.name,
            state.attempt_number,
            exc,
            extra={"dependency": self.name, "attempt": state.attempt_number},
        )

    async def _attempt(self, method: str, path: str, json: Any, params: dict[str, Any] | None, attempt: int) -> Reply:
        started = time.perf_counter()
        outcome = "success"
        try:
            try:
                breaker = await self.breakers.factory.get_breaker(self.name)
                async with breaker:
                    status, body = await self._send(method, path, json, params)
            except OpenedState as exc:
                raise CircuitOpen(self.name, f"{self.name} circuit is open; failing fast", attempts=0) from exc
            if status >= 400:
                outcome = "client_error"
            return Reply(status, body, attempt)
        except DependencyError as exc:
            outcome = type(exc).__name__
            raise
        finally:
            elapsed = time.perf_counter() - started
            DOWNSTREAM_CALLS.labels(self.name, outcome).inc()
            DOWNSTREAM_LATENCY.labels(self.name, outcome).observe(elapsed)

    async def _send(self, method: str, path: str, json: Any, params: dict[str, Any] | None) -> tuple[int, Any]:
        url = self.base_url + path
        if params:
            url = f"{url}?{urlencode(params)}"
        # Each attempt is a client span of the tracer's aiohttp integration, which also puts the W3C
        # trace context and baggage in the headers.
        try:
            async with self.session.request(
                method, url, json=json, headers=outgoing_headers(), timeout=aiohttp.ClientTimeout(total=self.timeout)
            ) as response:
                status = response.status
                body = await response.json(content_type=None) if response.content_length != 0 else None
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise DependencyTimeout(self.name, f"{self.name} did not answer within {self.timeout:g} s") from exc
        except aiohttp.ClientConnectionError as exc:
            raise DependencyUnavailable(self.name, f"{self.name} is unreachable: {type(exc).__name__}") from exc
        except (ValueError, aiohttp.ContentTypeError) as exc:
            raise DependencyFailed(self.name, f"{self.name} sent a body that is not JSON") from exc
        if status >= 500:
            raise DependencyFailed(self.name, f"{self.name} answered {status}: {_error_message(body)}")
        return status, body


def _error_message(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message", ""))[:200]
    return "no error detail"
