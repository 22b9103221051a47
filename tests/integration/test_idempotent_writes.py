"""The Idempotency-Key header on the gateway's two writes, over HTTP against the real stack: a retry
gets the first answer and takes the stock once, another body under the same key is refused, and
concurrent requests with one key make one order (one report job): every answer is that order (job) or
409 IDEMPOTENCY_KEY_IN_USE."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from hello_dd.harness.clients import at_once

pytestmark = pytest.mark.integration

PRODUCT = "1004"
ORDER = {"items": [{"productId": PRODUCT, "quantity": 2}], "customerId": "cust-idem"}
REPORT = {"reportType": "inventory_summary", "startDate": "2026-01-01", "endDate": "2026-01-31"}
AT_ONCE = 24  # requests with one key released together


def _stock(stack) -> tuple[int, int]:
    body = requests.get(f"{stack.urls['inventory-service']}/inventory/{PRODUCT}", timeout=10).json()
    return body["available"], body["reserved"]


def _order(gateway: str, key: str, body: dict = ORDER) -> requests.Response:
    return requests.post(f"{gateway}/api/v1/orders", json=body, headers={"Idempotency-Key": key}, timeout=30)


def _refused(response: requests.Response, status: int, code: str) -> dict:
    body = response.json()
    assert (response.status_code, body["error"]["code"]) == (status, code), body
    assert body["correlationId"] == response.headers["X-Correlation-Id"]
    return body


def test_a_repeated_checkout_returns_the_first_order_and_takes_the_stock_once(stack, gateway):
    available, reserved = _stock(stack)
    key = str(uuid.uuid4())
    first, second = _order(gateway, key), _order(gateway, key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert second.headers["Location"] == f"/api/v1/orders/{first.json()['orderId']}"
    assert _stock(stack) == (available - 2, reserved + 2)


def test_the_same_key_with_another_order_is_refused_and_changes_nothing(stack, gateway):
    key = str(uuid.uuid4())
    assert _order(gateway, key).status_code == 201
    available, reserved = _stock(stack)
    other = {**ORDER, "items": [{"productId": PRODUCT, "quantity": 3}]}
    body = _refused(_order(gateway, key, other), 422, "IDEMPOTENCY_KEY_REUSED")
    assert "Idempotency-Key" in body["error"]["message"]
    assert _stock(stack) == (available, reserved)


def test_concurrent_checkouts_with_one_key_make_one_order(stack, gateway):
    available, reserved = _stock(stack)
    key = str(uuid.uuid4())
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda _: _order(gateway, key), range(12)))
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["orderId"] for a in answers}) == 1
    assert _stock(stack) == (available - 2, reserved + 2)


def _one_made(answers: list[requests.Response], created: int, id_field: str) -> str:
    """Every answer is ``created`` with one and the same id, or 409 IDEMPOTENCY_KEY_IN_USE; the id."""
    made = [a for a in answers if a.status_code == created]
    for answer in (a for a in answers if a.status_code != created):
        _refused(answer, 409, "IDEMPOTENCY_KEY_IN_USE")
        assert answer.headers["Retry-After"].isdigit()
    assert made, [a.text for a in answers]
    ids = {a.json()[id_field] for a in made}
    assert len(ids) == 1, ids
    return ids.pop()


def test_checkouts_released_together_with_one_key_make_one_order(stack, gateway):
    available, reserved = _stock(stack)
    key = str(uuid.uuid4())
    order_id = _one_made(at_once(AT_ONCE, lambda _: _order(gateway, key)), 201, "orderId")
    assert requests.get(f"{gateway}/api/v1/orders/{order_id}", timeout=10).json()["items"][0]["quantity"] == 2
    assert _stock(stack) == (available - 2, reserved + 2)


def test_report_requests_released_together_with_one_key_start_one_job(gateway):
    key = str(uuid.uuid4())

    def post(_: int) -> requests.Response:
        return requests.post(
            f"{gateway}/api/v1/reports/generate", json=REPORT, headers={"Idempotency-Key": key}, timeout=30
        )

    job_id = _one_made(at_once(AT_ONCE, post), 202, "jobId")
    assert requests.get(f"{gateway}/api/v1/reports/status/{job_id}", timeout=10).status_code == 200


def test_a_failed_checkout_can_be_retried_with_its_key(stack, gateway):
    key = str(uuid.uuid4())
    too_many = {**ORDER, "items": [{"productId": PRODUCT, "quantity": 999_999}]}
    _refused(_order(gateway, key, too_many), 400, "INSUFFICIENT_STOCK")
    # The refusal made nothing, so the same request may run again (and is refused again).
    _refused(_order(gateway, key, too_many), 400, "INSUFFICIENT_STOCK")


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "naïve"])
def test_a_malformed_key_is_a_validation_error(gateway, key):
    response = requests.post(
        f"{gateway}/api/v1/orders", json=ORDER, headers={"Idempotency-Key": key.encode()}, timeout=10
    )
    body = _refused(response, 422, "VALIDATION_ERROR")
    assert "Idempotency-Key" in body["error"]["message"]


def test_a_repeated_report_request_returns_the_first_job(gateway):
    key = str(uuid.uuid4())

    def post(body):
        return requests.post(
            f"{gateway}/api/v1/reports/generate", json=body, headers={"Idempotency-Key": key}, timeout=10
        )

    first, second = post(REPORT), post(REPORT)
    assert (first.status_code, second.status_code) == (202, 202)
    assert second.json() == first.json() and second.headers["Idempotent-Replayed"] == "true"
    _refused(post({**REPORT, "reportType": "pricing_summary"}), 422, "IDEMPOTENCY_KEY_REUSED")
