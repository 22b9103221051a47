"""Locust's side of a load run: mixed shopping traffic over the gateway's request patterns, shaped by
the profile in HELLO_DD_LOAD_PROFILE (JSON), with the seed's checks counted (status as expected,
answer under 500 ms) into HELLO_DD_LOAD_CHECKS (JSON) when the run ends.

Runs in its own process (``python -m locust -f this-file``): Locust patches the standard library with
gevent, which must not happen inside the test run itself. With several Locust processes
(``--processes``) each one counts its own checks, in ``HELLO_DD_LOAD_CHECKS`` with its process id
inserted before ``.json``; the runner adds them up.

The users are ``FastHttpUser``s (geventhttpclient): on a small machine where the load generator shares
the CPU with the stack, ``HttpUser`` (requests) spends several times more CPU per request, and its
own queueing then shows up in the measured latency (see ``scripts/bench.py --compare-engines``)."""

from __future__ import annotations

import itertools
import json
import os

import gevent
from locust import FastHttpUser, LoadTestShape, between, constant, events, task

from hello_dd.harness.load.profile import LoadProfile
from hello_dd.harness.load.runner import checks_file_of

PROFILE = LoadProfile.from_json(os.environ["HELLO_DD_LOAD_PROFILE"])
CHECKS_FILE = os.environ.get("HELLO_DD_LOAD_CHECKS")
SLOW_MS = 500
BULK_IDS = ["123", "456", "789", "101", "202", "303", "404", "505"]
# Orders are spread over the catalogue's filler products, so a long run never empties one of them.
ORDER_PRODUCTS = itertools.cycle(str(n) for n in range(1000, 1040))

checks = {"requests": 0, "status_ok": 0, "under_500ms": 0}


@events.request.add_listener
def _count(response_time, exception, **_):
    checks["requests"] += 1
    checks["status_ok"] += exception is None
    checks["under_500ms"] += response_time < SLOW_MS


@events.quitting.add_listener
def _write_checks(**_):
    if CHECKS_FILE and checks["requests"]:
        with open(checks_file_of(CHECKS_FILE, os.getpid()), "w", encoding="utf-8") as out:
            json.dump(checks, out)


class _Client(FastHttpUser):
    abstract = True

    def _expect(self, method, path, expected, name, **kwargs):
        with self.client.request(method, path, name=name, catch_response=True, **kwargs) as response:
            if response.status_code != expected:
                response.failure(f"status {response.status_code}, expected {expected}")


class Shopper(_Client):
    """Mixed shopping traffic with think time: product queries, bulk checks, checkouts."""

    wait_time = between(0.5, 1.5)

    @task(6)
    def product_query(self):
        for product in ("123", "456"):  # the seed's batch of two product queries
            self._expect("GET", f"/api/v1/products/{product}", 200, "GET /api/v1/products/{id}")

    @task(2)
    def bulk_check(self):
        self._expect("POST", "/api/v1/products/bulk-check", 200, "POST /api/v1/products/bulk-check", json={"productIds": BULK_IDS})

    @task(1)
    def checkout(self):
        body = {"items": [{"productId": next(ORDER_PRODUCTS), "quantity": 1}], "customerId": "cust-load"}
        self._expect("POST", "/api/v1/orders", 201, "POST /api/v1/orders", json=body)


class ContractShopper(_Client):
    """The contract's load script: each user looks up products 123 and 456 together (k6's http.batch:
    both requests at once), then pauses a second."""

    wait_time = constant(1)

    @task
    def product_pair(self):
        gevent.joinall(
            [gevent.spawn(self._expect, "GET", f"/api/v1/products/{p}", 200, "GET /api/v1/products/{id}") for p in ("123", "456")]
        )


class ProductQuery(_Client):
    """One endpoint, no think time: each user is one connection asking for product 123 again as soon
    as it has the answer, as ``hey -c USERS`` does. For comparing Locust's figures with another tool."""

    wait_time = constant(0)

    @task
    def product_query(self):
        self._expect("GET", "/api/v1/products/123", 200, "GET /api/v1/products/{id}")


# The user class of the run, by name (a second module-level name for a class would make Locust count
# it twice and refuse to start).
USER_CLASS_NAME = os.environ.get("HELLO_DD_LOAD_USER", "Shopper")
SPAWN_RATE = 50  # users started per second while a stage ramps up


class ProfileShape(LoadTestShape):
    def tick(self):
        users = PROFILE.users_at(self.get_run_time())
        if users is None:
            return None
        user_classes = {"Shopper": Shopper, "ContractShopper": ContractShopper, "ProductQuery": ProductQuery}
        return users, SPAWN_RATE, [user_classes[USER_CLASS_NAME]]
