"""Many shoppers checking out at once while the gateway crashes, and each of them trying again.

Each shopper orders ``quantity`` units of one product with an ``Idempotency-Key`` of its own. Once
``crash_after`` orders are confirmed (many others are in flight by then), ``crash`` is called (the
caller kills the gateway with SIGKILL); every shopper whose answer was lost keeps it lost. Then
``restart`` is called, and every shopper sends the same request with the same key again until it gets
a final answer (an order or a refusal), within ``retry_timeout`` seconds: the gateway must answer each
key with exactly one order, the one it confirmed before the crash if it did.

Used by the durability scenarios (steps/durability_steps.py) and by the integration test that runs
the same crash on SQLite and PostgreSQL (tests/integration/test_checkout_crash.py).
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

from hello_dd.harness.clients import IDEMPOTENCY_KEY
from hello_dd.polling import PollTimeout, poll

# An answer that may change when asked again: the gateway is down, busy with the key, or failing.
_RETRYABLE = {409, 502, 503, 504}


@dataclass
class ShopperOutcome:
    """What one shopper saw: the answer to the first try (None: lost in the crash) and the final one."""

    key: str
    first_status: int | None = None
    first_order_id: str | None = None
    final_status: int | None = None
    final_order_id: str | None = None
    final_error: str | None = None
    tries: int = 0

    @property
    def ordered(self) -> bool:
        return self.final_status == 201 and self.final_order_id is not None


@dataclass
class CrashOutcome:
    shoppers: list[ShopperOutcome] = field(default_factory=list)
    # Units each shopper ordered.
    quantity: int = 1
    confirmed_before_crash: int = 0
    in_flight_at_crash: int = 0
    crash_seconds: float = 0.0
    # time.monotonic() when ``restart`` returned: the stack was back.
    back_at: float = 0.0

    @property
    def lost_answers(self) -> int:
        return sum(1 for s in self.shoppers if s.first_status is None)

    @property
    def orders(self) -> list[str]:
        return [s.final_order_id for s in self.shoppers if s.ordered and s.final_order_id]

    def problems(self) -> list[str]:
        """Every way the gateway broke its promise to a shopper (empty when it kept it)."""
        found = []
        for s in self.shoppers:
            if not s.ordered:
                found.append(
                    f"key {s.key}: no order after {s.tries} tries (last answer {s.final_status} {s.final_error})"
                )
            elif s.first_order_id and s.first_order_id != s.final_order_id:
                found.append(f"key {s.key}: confirmed {s.first_order_id} before the crash, {s.final_order_id} after it")
        if len(set(self.orders)) != len(self.orders):
            found.append(f"{len(self.orders) - len(set(self.orders))} order ids were given to two keys")
        return found

    def summary(self) -> str:
        return (
            f"{len(self.shoppers)} shoppers; {self.confirmed_before_crash} confirmed and {self.in_flight_at_crash} "
            f"in flight when the gateway was killed {self.crash_seconds:.2f} s in; {self.lost_answers} answers lost; "
            f"{len(self.orders)} orders after the retries ({len(set(self.orders))} distinct)"
        )


class CheckoutCrash:
    def __init__(
        self,
        gateway_url: str,
        product_id: str,
        shoppers: int,
        *,
        quantity: int = 1,
        crash_after: int | None = None,
        request_timeout: float = 30.0,
        retry_timeout: float = 90.0,
    ):
        self.url = gateway_url.rstrip("/") + "/api/v1/orders"
        self.product_id = product_id
        self.quantity = quantity
        self.crash_after = max(1, shoppers // 10) if crash_after is None else crash_after
        self.request_timeout = request_timeout
        self.retry_timeout = retry_timeout
        self.outcomes = [ShopperOutcome(key=f"crash-{uuid.uuid4()}") for _ in range(shoppers)]

    def _send(self, index: int, timeout: float) -> requests.Response:
        body: dict[str, Any] = {
            "items": [{"productId": self.product_id, "quantity": self.quantity}],
            "customerId": f"cust-crash-{index}",
        }
        self.outcomes[index].tries += 1
        return requests.post(self.url, json=body, headers={IDEMPOTENCY_KEY: self.outcomes[index].key}, timeout=timeout)

    def run(self, crash: Callable[[], None], restart: Callable[[], None]) -> CrashOutcome:
        result = CrashOutcome(shoppers=self.outcomes, quantity=self.quantity)
        confirmed = threading.Semaphore(0)
        answered = [0]
        lock = threading.Lock()

        def first_try(index: int) -> None:
            outcome = self.outcomes[index]
            try:
                response = self._send(index, self.request_timeout)
            except requests.RequestException:
                return  # the answer was lost in the crash
            outcome.first_status = response.status_code
            with lock:
                answered[0] += 1
            if response.status_code == 201:
                outcome.first_order_id = _json(response).get("orderId")
                confirmed.release()

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=len(self.outcomes)) as pool:
            for index in range(len(self.outcomes)):
                pool.submit(first_try, index)
            for _ in range(self.crash_after):
                if not confirmed.acquire(timeout=self.request_timeout):
                    break
            with lock:
                result.confirmed_before_crash = sum(1 for o in self.outcomes if o.first_order_id)
                result.in_flight_at_crash = len(self.outcomes) - answered[0]
            result.crash_seconds = time.monotonic() - started
            crash()
        restart()
        result.back_at = time.monotonic()
        with ThreadPoolExecutor(max_workers=min(32, len(self.outcomes))) as pool:
            list(pool.map(self._retry_until_final, range(len(self.outcomes))))
        return result

    def _retry_until_final(self, index: int) -> None:
        outcome = self.outcomes[index]

        def attempt() -> float | None:
            """Sends the order again: None once the answer is final, else how long to pause first."""
            try:
                response = self._send(index, self.request_timeout)
            except requests.RequestException as exc:
                outcome.final_status, outcome.final_error = None, type(exc).__name__
                return 0.5
            outcome.final_status = response.status_code
            body = _json(response)
            outcome.final_order_id = body.get("orderId")
            outcome.final_error = (body.get("error") or {}).get("code")
            if response.status_code not in _RETRYABLE:
                return None
            return float(response.headers.get("Retry-After", "0.5"))

        with contextlib.suppress(PollTimeout):  # out of time: the outcome keeps the last answer
            poll(attempt, _is_final, timeout=self.retry_timeout, interval=_pause)


def _is_final(pause: float | None) -> bool:
    return pause is None


def _pause(pause: float | None) -> float:
    return pause or 0.0


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
