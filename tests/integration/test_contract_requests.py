"""The contract's example requests (docs/contract.md: the five request patterns, correlation, errors,
health, metrics and traces), one each, against the real stack, answering as the contract says."""

from __future__ import annotations

import time
import uuid

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from hello_dd.polling import poll

pytestmark = pytest.mark.integration


def test_pattern_1_product_query_has_inventory_and_pricing(gateway, http):
    r = http.get(f"{gateway}/api/v1/products/123")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["inventory"]["productId"] == "123" and body["pricing"]["productId"] == "123"


def test_pattern_2_successful_checkout(gateway, http):
    order = {
        "items": [{"productId": "123", "quantity": 2}, {"productId": "456", "quantity": 1}],
        "customerId": "cust-789",
    }
    r = http.post(f"{gateway}/api/v1/orders", json=order)
    assert r.status_code == 201, r.text
    assert "orderId" in r.json() and "total" in r.json()


def test_pattern_2_checkout_with_insufficient_stock(gateway, http):
    r = http.post(
        f"{gateway}/api/v1/orders", json={"items": [{"productId": "123", "quantity": 9999}], "customerId": "cust-789"}
    )
    assert r.status_code == 400, r.text
    assert "error" in r.json()


def test_pattern_3_bulk_check_returns_one_result_per_id(gateway, http):
    ids = ["123", "456", "789", "101", "202", "303", "404", "505"]
    r = http.post(f"{gateway}/api/v1/products/bulk-check", json={"productIds": ids})
    assert r.status_code == 200, r.text
    assert sorted(x["productId"] for x in r.json()["results"]) == sorted(ids)


def test_pattern_4_async_report_completes(gateway, http):
    r = http.post(
        f"{gateway}/api/v1/reports/generate",
        json={"reportType": "inventory_summary", "startDate": "2024-01-01", "endDate": "2024-12-31"},
    )
    assert r.status_code == 202, r.text
    job_id = r.json()["jobId"]
    status = poll(
        lambda: http.get(f"{gateway}/api/v1/reports/status/{job_id}").json(),
        lambda status: status["status"] in ("completed", "failed"),
        timeout=15,
        interval=0.5,
        what="the report job ended",
    )
    assert status["status"] == "completed", status
    assert status["result"]["products"] > 0


def test_correlation_id_is_preserved(gateway, http):
    correlation_id = str(uuid.uuid4())
    r = http.get(f"{gateway}/api/v1/products/123", headers={"X-Correlation-Id": correlation_id})
    assert r.headers["X-Correlation-Id"] == correlation_id


def test_error_propagation_nonexistent_product(gateway, http):
    r = http.get(f"{gateway}/api/v1/products/nonexistent")
    assert r.status_code == 404 and r.json()["error"]["code"] == "PRODUCT_NOT_FOUND"


@pytest.mark.parametrize(("mode", "status"), [("inventory", 502), ("pricing", 502), ("timeout", 504)])
def test_cascade_modes_answer_within_a_bounded_time(gateway, http, mode, status):
    started = time.monotonic()
    r = http.get(f"{gateway}/api/v1/health/cascade", params={"failure_mode": mode}, timeout=10)
    assert time.monotonic() - started < 3.0
    assert r.status_code == status, r.text
    assert r.json()["status"] == "degraded"


def test_cascade_random_mode_answers(gateway, http):
    r = http.get(f"{gateway}/api/v1/health/cascade", params={"failure_mode": "random"}, timeout=10)
    assert r.status_code in (200, 502, 503, 504)


def test_every_service_serves_prometheus_metrics(stack, http):
    for name in ("api-gateway", "inventory-service", "pricing-service"):
        r = http.get(f"{stack.urls[name]}/metrics")
        assert r.status_code == 200
        names = {family.name for family in text_string_to_metric_families(r.text)}
        assert "http_requests" in names, f"{name} has no request counter"


def test_every_service_is_healthy(stack, http):
    for name in ("api-gateway", "inventory-service", "pricing-service"):
        assert http.get(f"{stack.urls[name]}/health").json()["status"] == "ok"


def test_the_gateway_s_health_reports_the_circuit_to_each_dependency(gateway, http):
    dependencies = http.get(f"{gateway}/health").json()["dependencies"]
    assert set(dependencies) == {"inventory-service", "pricing-service"}
    assert all(dependency["circuit"] in ("closed", "half-open", "open") for dependency in dependencies.values())


def test_openapi_documents_every_gateway_endpoint(gateway, http):
    paths = set(http.get(f"{gateway}/openapi.json").json()["paths"])
    assert {
        "/api/v1/products/{product_id}",
        "/api/v1/orders",
        "/api/v1/products/bulk-check",
        "/api/v1/reports/generate",
        "/api/v1/reports/status/{job_id}",
        "/api/v1/health/cascade",
        "/health",
        "/metrics",
    } <= paths


def test_traces_reach_the_test_agent(stack, http):
    gateway = stack.urls["api-gateway"]
    http.get(f"{gateway}/api/v1/products/456")
    services = poll(
        lambda: _service_names(requests.get(f"{stack.urls['otlp']}/test/session/traces", timeout=5).json()),
        lambda services: len(services) >= 3,
        timeout=15,
        interval=0.5,
        what="traces from the three services",
    )
    assert {"api-gateway", "inventory-service", "pricing-service"} <= services


def _service_names(payload) -> set[str]:
    """Service names in the test agent's OTLP session dump: the export requests as received, OTLP/JSON
    (camelCase, what the services send) or protobuf turned into JSON (snake_case)."""
    names = set()
    for request in payload:
        for resource_spans in request.get("resourceSpans", request.get("resource_spans", [])):
            for attribute in resource_spans.get("resource", {}).get("attributes", []):
                if attribute.get("key") == "service.name":
                    value = attribute["value"]
                    names.add(value.get("stringValue", value.get("string_value")))
    return names
