"""Requests the OpenAPI fuzz tests (test_openapi_fuzz.py) found mishandled, kept as regression
examples: each was answered wrongly before its fix, and must keep the answer the contract gives.

- seed 20261201, 25 examples per operation, the negative-data check (invalid input must be refused,
  not accepted): a JSON number where the schema says boolean or date was silently converted (``0`` ->
  ``false``, ``0`` -> 1970-01-01) and answered 200/202 instead of 422;
- seed 20261201, 150 examples per operation, the server-error check: an order whose lines for one
  product add up to more than the largest quantity (1,000,000) was answered 502 DEPENDENCY_REJECTED,
  a server error for bad input: the gateway adds such lines up and inventory refused the sum.
"""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.integration

FOUND = [
    # (service, method, path, JSON body, the field the refusal must name)
    (
        "api-gateway",
        "POST",
        "/api/v1/products/bulk-check?page=1&pageSize=100",
        {"currency": "USD", "includePricing": 0, "productIds": ["123"]},
        "includePricing",
    ),
    (
        "api-gateway",
        "POST",
        "/api/v1/reports/generate",
        {"endDate": "2000-01-01", "reportType": "sales_summary", "startDate": 0},
        "startDate",
    ),
    (
        "api-gateway",
        "POST",
        "/api/v1/orders",
        {
            "customerId": "0",
            "items": [
                {"productId": "0", "quantity": 1},
                {"productId": "0000000", "quantity": 447731},
                {"productId": "0000000", "quantity": 552270},
            ],
        },
        "quantit",
    ),
]


@pytest.mark.parametrize(
    ("service", "method", "path", "body", "field"),
    FOUND,
    ids=[f"{m} {p.split('?')[0]}: {f}" for _, m, p, _, f in FOUND],
)
def test_what_the_fuzzer_found_stays_fixed(fuzz_stack, service, method, path, body, field):
    response = requests.request(method, fuzz_stack.urls[service] + path, json=body, timeout=30)
    answer = response.json()
    assert (response.status_code, answer["error"]["code"]) == (422, "VALIDATION_ERROR"), answer
    assert field in answer["error"]["message"], answer
    assert answer["correlationId"] == response.headers["X-Correlation-Id"]


def test_a_bulk_check_in_an_unsupported_currency_is_refused_naming_it(fuzz_stack):
    body = {"includePricing": True, "currency": "OOI", "productIds": ["123"]}
    response = requests.post(fuzz_stack.urls["api-gateway"] + "/api/v1/products/bulk-check", json=body, timeout=30)
    answer = response.json()
    assert (response.status_code, answer["error"]["code"]) == (400, "UNSUPPORTED_CURRENCY"), answer
    assert "OOI" in answer["error"]["message"], answer
    assert answer["correlationId"] == response.headers["X-Correlation-Id"]
