"""The fault-injecting TCP proxy on its own: a small HTTP service behind it, http.client in front."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hello_dd.harness.faults import MAX_LATENCY_MS, FaultProxy, FaultProxyError


class _Service(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    writes: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        self._answer(b'{"ok": true}')

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).writes.append(body.decode())
        self._answer(b'{"written": true}')

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        self.wfile.write(body)  # head and body in separate writes: two chunks on the wire

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def service():
    _Service.writes = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Service)
    server.handle_error = lambda request, address: None  # resets are the point here, not news
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(service):
    with FaultProxy(service.server_address[1], name="test") as proxy:
        yield proxy


def _request(port: int, method: str = "GET", path: str = "/thing", body: str | None = None) -> tuple[int, bytes, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        response = conn.getresponse()
        return response.status, response.read(), time.monotonic() - started
    finally:
        conn.close()


CONNECTION_LOST = (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError)


def test_passes_requests_through(proxy):
    assert _request(proxy.port)[:2] == (200, b'{"ok": true}')
    assert proxy.snapshot()["recent"] == ["GET /thing"]


def test_latency_delays_the_answer_once_not_per_chunk(proxy):
    proxy.add_latency(to_client_ms=300)
    status, _, elapsed = _request(proxy.port)
    assert status == 200
    assert 0.3 <= elapsed < 0.55, elapsed  # two chunks, delayed together


def test_latency_towards_the_service_only_for_matching_requests(proxy):
    proxy.add_latency(to_service_ms=300, request_prefix="POST /slow")
    assert _request(proxy.port)[2] < 0.25
    assert _request(proxy.port, "POST", "/slow", "{}")[2] >= 0.3
    assert proxy.snapshot()["delayed_requests"] == 1


def test_refused_connections_are_refused_until_healed(proxy):
    proxy.refuse()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=2).close()
    proxy.heal()
    assert _request(proxy.port)[0] == 200


def test_refusing_resets_open_connections(proxy):
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=5)
    conn.request("GET", "/first")
    assert conn.getresponse().read() == b'{"ok": true}'
    proxy.refuse()
    with pytest.raises((*CONNECTION_LOST, ConnectionRefusedError)):
        conn.request("GET", "/second")
        conn.getresponse()
    conn.close()


def test_reset_of_the_next_request_only(proxy):
    proxy.reset(count=1)
    with pytest.raises(CONNECTION_LOST):
        _request(proxy.port, "POST", "/write", '{"n": 1}')
    assert _Service.writes == []  # the reset request never reached the service
    assert _request(proxy.port, "POST", "/write", '{"n": 2}')[0] == 200
    assert _Service.writes == ['{"n": 2}']
    assert proxy.snapshot()["resets"] == 1


def test_reset_after_forwarding_loses_the_answer_of_a_write_that_happened(proxy):
    proxy.reset(count=1, request_prefix="POST /write", after_forwarding=True)
    assert _request(proxy.port)[0] == 200  # not matching: untouched
    with pytest.raises(CONNECTION_LOST):
        _request(proxy.port, "POST", "/write", '{"n": 1}')
    assert _Service.writes == ['{"n": 1}']
    assert proxy.snapshot()["lost_answers"] == 1
    assert _request(proxy.port, "POST", "/write", '{"n": 2}')[0] == 200


def test_every_request_is_reset_until_healed(proxy):
    proxy.reset()
    for _ in range(3):
        with pytest.raises(CONNECTION_LOST):
            _request(proxy.port)
    proxy.heal()
    assert _request(proxy.port)[0] == 200


def test_an_unreachable_service_resets_the_client(service):
    port = service.server_address[1]
    service.shutdown()
    service.server_close()
    with FaultProxy(port) as proxy:
        started = time.monotonic()
        with pytest.raises(CONNECTION_LOST):
            _request(proxy.port)
        assert time.monotonic() - started < 1
        assert proxy.snapshot()["unreachable"] == 1


def test_waits_for_a_request_seen_after_a_mark(proxy):
    _request(proxy.port, "POST", "/early", "{}")
    mark = proxy.request_count
    assert not proxy.wait_for_request("POST /early", timeout=0.1, after=mark)
    late = threading.Timer(0.1, lambda: _request(proxy.port, "POST", "/late", "{}"))
    late.start()
    assert proxy.wait_for_request("POST /late", timeout=5, after=mark)
    late.join(timeout=5)  # its answer arrives before the proxy stops


def test_only_loopback_and_bounded_faults(service):
    with pytest.raises(FaultProxyError, match="loopback"):
        FaultProxy(80, target_host="192.0.2.1")
    with FaultProxy(service.server_address[1]) as proxy:
        with pytest.raises(FaultProxyError):
            proxy.add_latency(to_client_ms=MAX_LATENCY_MS + 1)
        with pytest.raises(FaultProxyError):
            proxy.reset(count=0)
    with pytest.raises(FaultProxyError, match="not running"):
        proxy.heal()


def test_a_stack_the_suite_does_not_run_takes_no_faults_and_has_none_to_clear():
    from hello_dd.harness.providers.base import StackControlUnavailable, StackUrls
    from hello_dd.harness.providers.external import ExternalStack

    stack = ExternalStack(StackUrls(gateway="http://127.0.0.1:1"))
    assert stack.clear_faults() == []
    for inject in (
        lambda: stack.refuse_connections("inventory-service"),
        lambda: stack.reset_connections("pricing-service", count=1),
        lambda: stack.inject_latency("inventory-service", 500),
    ):
        with pytest.raises(StackControlUnavailable, match="stack=external cannot"):
            inject()
