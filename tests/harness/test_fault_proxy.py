"""The fault-injecting TCP proxy on its own: a small HTTP service behind it, http.client in front."""

from __future__ import annotations

import http.client
import socket
import threading
import time

import pytest

from hello_dd.harness.faults import MAX_LATENCY_MS, FaultProxy, FaultProxyError

from .proxy_support import CONNECTION_LOST, TinyService, request, tiny_service


@pytest.fixture
def service():
    with tiny_service() as server:
        yield server


@pytest.fixture
def proxy(service):
    with FaultProxy(service.server_address[1], name="test") as proxy:
        yield proxy


def test_passes_requests_through(proxy):
    assert request(proxy.port)[:2] == (200, b'{"ok": true}')
    assert proxy.snapshot()["recent"] == ["GET /thing"]


def test_latency_delays_the_answer_once_not_per_chunk(proxy):
    proxy.add_latency(to_client_ms=300)
    status, _, elapsed = request(proxy.port)
    assert status == 200
    assert 0.3 <= elapsed < 0.55, elapsed  # two chunks, delayed together


def test_latency_towards_the_service_only_for_matching_requests(proxy):
    proxy.add_latency(to_service_ms=300, request_prefix="POST /slow")
    assert request(proxy.port)[2] < 0.25
    assert request(proxy.port, "POST", "/slow", "{}")[2] >= 0.3
    assert proxy.snapshot()["delayed_requests"] == 1


def test_refused_connections_are_refused_until_healed(proxy):
    proxy.refuse()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=2).close()
    proxy.heal()
    assert request(proxy.port)[0] == 200


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
        request(proxy.port, "POST", "/write", '{"n": 1}')
    assert TinyService.writes == []  # the reset request never reached the service
    assert request(proxy.port, "POST", "/write", '{"n": 2}')[0] == 200
    assert TinyService.writes == ['{"n": 2}']
    assert proxy.snapshot()["resets"] == 1


def test_reset_after_forwarding_loses_the_answer_of_a_write_that_happened(proxy):
    proxy.reset(count=1, request_prefix="POST /write", after_forwarding=True)
    assert request(proxy.port)[0] == 200  # not matching: untouched
    with pytest.raises(CONNECTION_LOST):
        request(proxy.port, "POST", "/write", '{"n": 1}')
    assert TinyService.writes == ['{"n": 1}']
    assert proxy.snapshot()["lost_answers"] == 1
    assert request(proxy.port, "POST", "/write", '{"n": 2}')[0] == 200


def test_reset_only_requests_holding_a_text_in_their_body(proxy):
    proxy.reset(request_prefix="POST /write", containing='"1020"')
    assert request(proxy.port, "POST", "/write", '{"ids": ["1000", "1001"]}')[0] == 200
    for _ in range(2):
        with pytest.raises(CONNECTION_LOST):
            request(proxy.port, "POST", "/write", '{"ids": ["1019", "1020"]}')
    assert TinyService.writes == ['{"ids": ["1000", "1001"]}']
    assert "holding '\"1020\"'" in proxy.describe()
    assert proxy.snapshot()["resets"] == 2


def test_a_body_sent_after_its_head_is_still_looked_into(proxy):
    proxy.reset(request_prefix="POST /write", containing='"1020"')
    body = b'{"ids": ["1020"]}'
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as client:
        client.sendall(b"POST /write HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body))
        time.sleep(0.2)  # the body in a later segment, as http.client sends it
        client.sendall(body)
        with pytest.raises(ConnectionResetError):
            client.recv(1024)
    assert TinyService.writes == []
    assert proxy.snapshot()["resets"] == 1


def test_every_request_is_reset_until_healed(proxy):
    proxy.reset()
    for _ in range(3):
        with pytest.raises(CONNECTION_LOST):
            request(proxy.port)
    proxy.heal()
    assert request(proxy.port)[0] == 200


def test_an_unreachable_service_resets_the_client(service):
    port = service.server_address[1]
    service.shutdown()
    service.server_close()
    with FaultProxy(port) as proxy:
        started = time.monotonic()
        with pytest.raises(CONNECTION_LOST):
            request(proxy.port)
        assert time.monotonic() - started < 1
        assert proxy.snapshot()["unreachable"] == 1


def test_waits_for_a_request_seen_after_a_mark(proxy):
    request(proxy.port, "POST", "/early", "{}")
    mark = proxy.request_count
    assert not proxy.wait_for_request("POST /early", timeout=0.1, after=mark)
    late = threading.Timer(0.1, lambda: request(proxy.port, "POST", "/late", "{}"))
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
    from hello_dd.harness.providers.base import StackControlUnavailable, StackUrls, fault_injection
    from hello_dd.harness.providers.external import ExternalStack

    stack = ExternalStack(StackUrls(gateway="http://127.0.0.1:1"))
    assert stack.clear_faults() == []
    # A step asks for the fault-injection role; a stack without it gives the reason instead.
    for what in ("refuse connections", "reset connections", "inject network latency"):
        with pytest.raises(StackControlUnavailable, match=f"stack=external cannot {what}"):
            fault_injection(stack, what)
