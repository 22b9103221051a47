"""Property-based tests generated from each service's own OpenAPI document (schemathesis): whatever a
caller sends, no service answers with a server error, except where the contract says it may (the
gateway's cascade demo and the services' simulate endpoints); input that breaks the schema is refused
with a 4xx, not quietly converted; every answer matches the documented status codes, content type,
headers and schema; every error is the documented error body with the request's correlation id. Bounded and reproducible: a fixed number of examples per operation, a fixed seed, no
example database. Afterwards every service must still be healthy (test_services_are_healthy_afterwards).
"""

from __future__ import annotations

import os

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, seed, settings
from schemathesis import checks

from hello_dd.services.common.simulate import MAX_DELAY_MS

from .support import REQUESTS_SENT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# HELLO_DD_FUZZ_EXAMPLES (per operation), HELLO_DD_FUZZ_STATEFUL_EXAMPLES (call sequences per service)
# and HELLO_DD_FUZZ_SEED widen a run (scripts/fuzz.py sets them); make test uses these defaults. What a
# run finds is kept in test_found_by_fuzzing.py once fixed.
EXAMPLES = int(os.environ.get("HELLO_DD_FUZZ_EXAMPLES", "25"))
STATEFUL_EXAMPLES = int(os.environ.get("HELLO_DD_FUZZ_STATEFUL_EXAMPLES", "3"))
SEED = int(os.environ.get("HELLO_DD_FUZZ_SEED", "20261201"))

# Where the contract documents a server error on purpose: the induced failures (the cascade demo, its probes, and
# the simulate endpoints where a stack turns them on).
DOCUMENTED_5XX = ("/api/v1/health/cascade", "/cascade-probe/", "/simulate/")

# The cascade's slow probe answers after the delay it is asked for: valid delays are sent modulo this (ms).
SLOW_PROBE = "/cascade-probe/slow"
SHORT_DELAY_MS = 20

CHECKS = [
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
    checks.missing_required_header,
    checks.unsupported_method,
]


def no_server_error_unless_documented(response, case) -> None:
    if response.status_code >= 500 and not case.operation.path.startswith(DOCUMENTED_5XX):
        raise AssertionError(f"{case.operation.label} answered {response.status_code}: {response.text[:500]}")


def errors_use_the_documented_shape(response, case) -> None:
    """{"error": {"code", "message", ["details"]}, "correlationId"} (the cascade demo's report adds its
    own fields around the same two)."""
    if response.status_code < 400:
        return
    body = response.json()
    assert {"error", "correlationId"} <= set(body), body
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str), body
    assert [body["correlationId"]] == response.headers.get("x-correlation-id"), (body, response.headers)


def _check(response, case: schemathesis.Case) -> None:
    REQUESTS_SENT[case.operation.schema.location or "?"] += 1
    no_server_error_unless_documented(response, case)
    errors_use_the_documented_shape(response, case)
    case.validate_response(response, checks=CHECKS)


def _short_delay(ms: object) -> object:
    """A valid delay (a number of ms up to 10 s, or its digits) as a few ms of the same type; any other
    value as it is."""
    if isinstance(ms, int) and not isinstance(ms, bool) and 0 <= ms <= MAX_DELAY_MS:
        return ms % SHORT_DELAY_MS
    if isinstance(ms, str) and ms.isascii() and ms.isdigit() and int(ms) <= MAX_DELAY_MS:
        return str(int(ms) % SHORT_DELAY_MS)
    return ms


def _call(case: schemathesis.Case, **kwargs):
    """Sends the case; a valid delay asked of the cascade's slow probe (up to 10 s) is first shortened
    to a few milliseconds, still a valid delay, so the probe's answers are checked without waiting out
    long sleeps (every other value is sent as generated, invalid delays included)."""
    if case.operation.path == SLOW_PROBE and isinstance(case.query, dict) and "ms" in case.query:
        case.query["ms"] = _short_delay(case.query["ms"])
    return case.call(timeout=30, **kwargs)


def _fuzz(case: schemathesis.Case) -> None:
    _check(_call(case), case)


def _settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def _bounded(test):
    return seed(SEED)(_settings(EXAMPLES)(test))


gateway = schemathesis.pytest.from_fixture("gateway_schema")
inventory = schemathesis.pytest.from_fixture("inventory_schema")
pricing = schemathesis.pytest.from_fixture("pricing_schema")


@gateway.exclude(path="/api/v1/health/cascade").parametrize()
@_bounded
def test_gateway(case):
    _fuzz(case)


# Last of the gateway's, in a test of its own: it opens the circuits to the dependencies on purpose.
@gateway.include(path="/api/v1/health/cascade").parametrize()
@_bounded
def test_gateway_cascade_demo(case):
    _fuzz(case)


@inventory.parametrize()
@_bounded
def test_inventory(case):
    _fuzz(case)


@pricing.parametrize()
@_bounded
def test_pricing(case):
    _fuzz(case)


def _stateful(schema: schemathesis.BaseSchema) -> None:
    class Sequences(schema.as_state_machine()):  # type: ignore[misc]
        def call(self, case, **kwargs):
            return _call(case, **kwargs)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            _check(response, case)

    seed(SEED)(lambda: Sequences.run(settings=_settings(STATEFUL_EXAMPLES)))()


def test_gateway_statefully(gateway_schema):
    _stateful(gateway_schema.exclude(path="/api/v1/health/cascade"))


def test_inventory_statefully(inventory_schema):
    _stateful(inventory_schema)


def test_pricing_statefully(pricing_schema):
    _stateful(pricing_schema)


def test_services_are_healthy_afterwards(fuzz_stack):
    for service in ("api-gateway", "inventory-service", "pricing-service"):
        health = requests.get(fuzz_stack.urls[service] + "/health", timeout=5)
        assert (health.status_code, health.json()["status"]) == (200, "ok"), health.text
    assert fuzz_stack.exited() == {}
