"""A load run on Locust's own master and workers: separate processes connected over TCP on 127.0.0.1,
against a small real HTTP service that counts what each load generator sent (they name themselves in
User-Agent). The master's totals must be exactly the sum of what the workers sent, requests and
per-answer checks alike, and a check that fails for one worker only must show in them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hello_dd.harness.load.distribution import LoadDistribution
from hello_dd.harness.load.profile import parse_stages
from hello_dd.harness.load.runner import run_load
from hello_dd.stack import free_port

# Not serial: the load is light (nine users against a server that answers at once) and mostly waits out
# the profile; run beside the other tests and beside three busy loops, the good workers' answers stayed
# far inside the 500 ms check.
pytestmark = [pytest.mark.integration, pytest.mark.slow]

GENERATOR = re.compile(r"^hello-dd-load/\S+ \((?P<id>[^)]+)\)$")
SLOW_SECONDS = 0.6  # over the 500 ms of the "within 500 ms" check


class CountingShop:
    """Answers the gateway's load routes as the gateway would (200, orders 201) and counts the
    requests of each load generator. The first generator it hears from gets every answer wrong:
    503, after 600 ms, failing both checks for that worker only."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()
        self.failed_generator: str | None = None
        self._lock = threading.Lock()
        shop = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _answer(self, status: int) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                match = GENERATOR.match(self.headers.get("User-Agent", ""))
                generator = match["id"] if match else "unnamed"
                with shop._lock:
                    shop.sent[generator] += 1
                    shop.failed_generator = shop.failed_generator or generator
                if generator == shop.failed_generator:
                    time.sleep(SLOW_SECONDS)
                    status = 503
                body = b"{}"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._answer(200)

            def do_POST(self) -> None:
                self._answer(201 if self.path == "/api/v1/orders" else 200)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"


@pytest.fixture
def shop() -> Iterator[CountingShop]:
    shop = CountingShop()
    thread = threading.Thread(target=shop.server.serve_forever, daemon=True)
    thread.start()
    yield shop
    shop.server.shutdown()
    shop.server.server_close()


def test_the_masters_totals_are_the_sum_of_what_three_workers_sent(shop, tmp_path):
    profile = parse_stages("distributed", "2s→9, 5s→9")
    started = time.monotonic()
    result = run_load(profile, shop.url, tmp_path, "three-workers", distribution=LoadDistribution(workers=3))
    took = time.monotonic() - started

    assert "unnamed" not in shop.sent and len(shop.sent) == 3, f"three workers should have sent load: {dict(shop.sent)}"
    assert result.checks_by_worker.keys() == shop.sent.keys()
    sent = sum(shop.sent.values())
    failing = shop.sent[shop.failed_generator]
    assert 0 < failing < sent
    # Everything the workers sent reached the master's totals: Locust's request statistics and the checks.
    assert result.overall.requests == sent
    assert sum(e.requests for e in result.endpoints) == sent
    assert result.checks == {"requests": sent, "status_ok": sent - failing, "under_500ms": sent - failing}
    # ... worker by worker, and the one worker whose answers failed shows in the master's totals.
    for generator, count in shop.sent.items():
        passed = 0 if generator == shop.failed_generator else count
        assert result.checks_by_worker[generator] == {"requests": count, "status_ok": passed, "under_500ms": passed}
    assert result.overall.failures == failing
    assert result.check_shares["answers that succeeded"] == pytest.approx((sent - failing) / sent)
    assert took < 45, f"the run took {took:.0f} s"


def test_a_worker_started_elsewhere_with_hello_dd_load_worker_joins_the_master(shop, tmp_path, descendants):
    """The documented command for other machines, against a master listening on a given address."""
    port = free_port()
    distribution = LoadDistribution.from_userdata(
        {"load_workers": "1", "load_remote_workers": "1", "load_master_bind": f"127.0.0.1:{port}"}
    )
    already_running = descendants(os.getpid())  # a stack this pytest worker keeps for other tests
    hello_dd = Path(sys.executable).with_name("hello-dd")
    with (tmp_path / "remote-worker.log").open("w") as log:
        remote = subprocess.Popen(
            [str(hello_dd), "load-worker", "--master", f"127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT
        )
    try:
        result = run_load(
            parse_stages("remote", "1s→4, 3s→4, 1s→0"), shop.url, tmp_path, "remote", distribution=distribution
        )
        assert remote.wait(timeout=15) == 0, (tmp_path / "remote-worker.log").read_text()
    finally:
        remote.kill()
        remote.wait()
    assert len(shop.sent) == 2 and result.checks_by_worker.keys() == shop.sent.keys()
    assert result.checks["requests"] == result.overall.requests == sum(shop.sent.values())
    assert not descendants(os.getpid()) - already_running, "every Locust process of the run has ended"
