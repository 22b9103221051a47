"""Locust's side of a load run: mixed shopping traffic over the gateway's request patterns, shaped by
the profile in HELLO_DD_LOAD_PROFILE (JSON), with the contract's per-answer checks (status as expected, answer under
500 ms) counted for every answer (``checks.CheckTally``).

Runs in its own processes (``python -m locust -f this-file``): Locust patches the standard library
with gevent, which must not happen inside the test run itself. One process runs the users, or, in a
distributed run, a master shapes the load and workers run the users (``distribution.py``): the
workers send their checks to the master inside Locust's own statistics reports, and the master (or
the single process) writes the totals to HELLO_DD_LOAD_CHECKS (JSON) when it quits. Workers need no
setting of their own: the master tells them the host and which users to run, so a worker on another
machine is just ``hello-dd load-worker --master HOST:PORT``.

The users are ``FastHttpUser``s (geventhttpclient): on a small machine where the load generator shares
the CPU with the stack, ``HttpUser`` (requests) spends several times more CPU per request, and its
own queueing then shows up in the measured latency (see ``scripts/bench.py --compare-engines``)."""

from __future__ import annotations

import itertools
import os
import socket
import time
from pathlib import Path

import gevent
from locust import FastHttpUser, LoadTestShape, between, constant, events, task
from locust.runners import WORKER_REPORT_INTERVAL, MasterRunner, WorkerRunner

from hello_dd import __version__
from hello_dd.harness.load.checks import REPORT_KEY, CheckTally
from hello_dd.harness.load.profile import LoadProfile

BULK_IDS = ["123", "456", "789", "101", "202", "303", "404", "505"]
# Orders are spread over the catalogue's filler products, so a long run never empties one of them.
ORDER_PRODUCTS = itertools.cycle(str(n) for n in range(1000, 1040))

TALLY = CheckTally()


@events.request.add_listener
def _count(response_time, exception, **_):
    TALLY.count(response_time, failed=exception is not None)


@events.report_to_master.add_listener
def _hand_over_checks(client_id, data, **_):
    data[REPORT_KEY] = TALLY.hand_over()


@events.worker_report.add_listener
def _receive_checks(client_id, data, **_):
    TALLY.receive(client_id, data.get(REPORT_KEY, {}), user_count=data.get("user_count"), at=time.monotonic())


@events.quitting.add_listener
def _write_checks(environment, **_):
    checks_file = os.environ.get("HELLO_DD_LOAD_CHECKS")
    if checks_file and not isinstance(environment.runner, WorkerRunner):
        Path(checks_file).write_text(TALLY.to_json(), encoding="utf-8")


def _generator_id(environment) -> str:
    """Who sends the load: the Locust worker's id (host name and a unique suffix), or host and process."""
    return getattr(environment.runner, "client_id", None) or f"{socket.gethostname()}_{os.getpid()}"


class _Client(FastHttpUser):
    """Every request names its load generator in User-Agent, so the services' side can tell load
    traffic, and which worker sent it, from anything else."""

    abstract = True

    def __init__(self, environment):
        self.default_headers = {"User-Agent": f"hello-dd-load/{__version__} ({_generator_id(environment)})"}
        super().__init__(environment)

    def _expect(self, method, path, expected, name, **kwargs):
        with self.client.request(method, path, name=name, catch_response=True, **kwargs) as response:
            if response.status_code != expected:
                response.failure(f"status {response.status_code}, expected {expected}")


class Shopper(_Client):
    """Mixed shopping traffic with think time: product queries, bulk checks, checkouts."""

    wait_time = between(0.5, 1.5)

    @task(6)
    def product_query(self):
        for product in ("123", "456"):  # the contract's batch of two product queries
            self._expect("GET", f"/api/v1/products/{product}", 200, "GET /api/v1/products/{id}")

    @task(2)
    def bulk_check(self):
        self._expect(
            "POST",
            "/api/v1/products/bulk-check",
            200,
            "POST /api/v1/products/bulk-check",
            json={"productIds": BULK_IDS},
        )

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
            [
                gevent.spawn(self._expect, "GET", f"/api/v1/products/{p}", 200, "GET /api/v1/products/{id}")
                for p in ("123", "456")
            ]
        )


class ProductQuery(_Client):
    """One endpoint, no think time: each user is one connection asking for product 123 again as soon
    as it has the answer, as ``hey -c USERS`` does. For comparing Locust's figures with another tool."""

    wait_time = constant(0)

    @task
    def product_query(self):
        self._expect("GET", "/api/v1/products/123", 200, "GET /api/v1/products/{id}")


USER_CLASSES = {cls.__name__: cls for cls in (Shopper, ContractShopper, ProductQuery)}
SPAWN_RATE = 50  # users started per second while a stage ramps up
#: After the profile, how long a master waits for every worker's last report beyond the time users
#: have to finish their task (--stop-timeout), before it gives up and names the workers that did not
#: send it. A worker reports every WORKER_REPORT_INTERVAL seconds.
REPORTS_WAIT_SECONDS = 3 * WORKER_REPORT_INTERVAL


class ProfileShape(LoadTestShape):
    """Users over time as the profile says (on the single process or the master; workers never tick).
    After the profile a master keeps the users at zero until every worker has reported with no user
    running, so its totals hold every answer the workers counted."""

    drain_started: float | None = None

    def tick(self):
        profile = LoadProfile.from_json(os.environ["HELLO_DD_LOAD_PROFILE"])
        user_class = [USER_CLASSES[os.environ.get("HELLO_DD_LOAD_USER", "Shopper")]]
        users = profile.users_at(self.get_run_time())
        if users is not None:
            return users, SPAWN_RATE, user_class
        if isinstance(self.runner, MasterRunner) and self._waiting_for_last_reports(self.runner):
            return 0, SPAWN_RATE, user_class
        return None

    def _waiting_for_last_reports(self, runner: MasterRunner) -> bool:
        now = time.monotonic()
        if self.drain_started is None:
            self.drain_started = now
        workers = [worker.id for worker in runner.clients.values()]
        idle = TALLY.reported_idle_since(self.drain_started, workers)
        if len(idle) == len(workers):
            return False
        if now - self.drain_started > (runner.environment.stop_timeout or 0) + REPORTS_WAIT_SECONDS:
            TALLY.unreported = sorted(set(workers) - set(idle))
            return False
        return True
