"""The suite's harness on its own: HTTP recording, polling, parameter types, log parsing, providers,
raw requests and the closing line."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hello_dd.harness.gherkin_types import parse_json_literal, parse_list
from hello_dd.harness.http import HttpClient
from hello_dd.harness.logs import containing, lines_with, parse_lines
from hello_dd.harness.providers import ConfigurationError, ExternalStack, LocalProcesses, provider_from_userdata
from hello_dd.harness.providers.base import StackControlUnavailable, StackUrls, log_reading, service_control
from hello_dd.harness.raw_http import send_raw
from hello_dd.harness.reporting import closing_line
from hello_dd.polling import PollTimeout, poll


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/json"):
            body, kind = (
                json.dumps({"ok": True, "seen": self.headers.get("X-Correlation-Id")}).encode(),
                "application/json",
            )
        else:
            body, kind = b"plain text", "text/plain"
        self.send_response(503 if self.path.startswith("/broken") else 200)
        self.send_header("Content-Type", kind)
        self.send_header("X-Correlation-Id", "answer-id")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_every_exchange_is_recorded_with_request_and_response(server):
    recorded = []
    client = HttpClient(server, recorder=recorded.append)
    exchange = client.get("/json", headers={"X-Correlation-Id": "c-1"})
    assert recorded == [exchange] and client.last is exchange
    assert exchange.status == 200 and exchange.body == {"ok": True, "seen": "c-1"}
    assert exchange.correlation_id == "answer-id"
    described = exchange.describe()
    assert "GET " in described and "X-Correlation-Id: c-1" in described and "-> 200" in described


def test_a_body_that_is_not_json_is_kept_as_text(server):
    exchange = HttpClient(server).get("/text")
    assert exchange.body == "plain text" and exchange.error is None


def test_long_bodies_are_shortened_in_descriptions(server):
    exchange = HttpClient(server).get("/json")
    exchange.body = {"big": "x" * 10_000}
    assert "more characters" in exchange.describe() and len(exchange.describe()) < 6_000


def test_poll_returns_as_soon_as_the_condition_holds():
    values = iter([1, 2, 3, 4])
    assert poll(lambda: next(values), lambda v: v >= 3, timeout=5, interval=0.01, what="three") == 3


def test_poll_reports_what_it_last_saw_when_time_runs_out():
    with pytest.raises(PollTimeout) as failure:
        poll(lambda: "still queued", lambda v: v == "done", timeout=0.05, interval=0.01, what="the job to finish")
    assert "the job to finish" in str(failure.value) and "still queued" in str(failure.value)


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("123", ["123"]),
        ("123, 456, 789", ["123", "456", "789"]),
        ("123 and 456", ["123", "456"]),
        ("a-1,b_2", ["a-1", "b_2"]),
    ],
)
def test_product_id_lists_read_as_written(text, ids):
    assert parse_list(text) == ids


@pytest.mark.parametrize(("cell", "value"), [("2", 2), ("-1", -1), ("2.5", 2.5), ('"two"', "two"), ("two", "two")])
def test_table_cells_read_as_json_values(cell, value):
    assert parse_json_literal(cell) == value


def test_log_lines_are_parsed_and_found_by_field():
    text = '{"correlation_id": "a", "message": "one"}\nnot json at all\n{"correlation_id": "b", "message": "two"}\n\n'
    lines = parse_lines("api-gateway", text)
    assert [line.is_json for line in lines] == [True, False, True]
    assert [line.get("message") for line in lines_with(lines, correlation_id="b")] == ["two"]
    assert [line.raw for line in containing(lines, "at all")] == ["not json at all"]


def test_a_log_line_still_being_written_is_left_for_the_next_read():
    lines = parse_lines("api-gateway", '{"message": "one"}\n{"message": "tw')
    assert [line.get("message") for line in lines] == ["one"]
    assert parse_lines("api-gateway", '{"message": "half') == []


def test_the_default_provider_is_the_embedded_stack(tmp_path):
    provider = provider_from_userdata({}, tmp_path)
    assert isinstance(provider, LocalProcesses) and provider.controls_stack and provider.reads_logs


def test_external_needs_a_gateway_url(tmp_path):
    with pytest.raises(ConfigurationError, match="gateway_url"):
        provider_from_userdata({"stack": "external"}, tmp_path)


def test_an_unknown_stack_is_refused_naming_the_choices(tmp_path):
    with pytest.raises(ConfigurationError, match="local, containers, compose, external"):
        provider_from_userdata({"stack": "kubernetes"}, tmp_path)


def test_external_controls_nothing_and_says_why(tmp_path):
    provider = provider_from_userdata({"stack": "external", "gateway_url": "http://127.0.0.1:1"}, tmp_path)
    assert isinstance(provider, ExternalStack) and not provider.controls_stack and not provider.reads_logs
    for attempt in (lambda: service_control(provider, "stop services"), lambda: log_reading(provider)):
        with pytest.raises(StackControlUnavailable, match="stack=external cannot"):
            attempt()


def test_external_start_fails_clearly_when_the_gateway_is_unreachable():
    with pytest.raises(RuntimeError, match="not reachable"):
        ExternalStack(StackUrls(gateway="http://127.0.0.1:9")).start()


def test_external_start_fails_clearly_when_the_gateway_is_unhealthy(server):
    stack = ExternalStack(StackUrls(gateway=server + "/broken"))
    with pytest.raises(RuntimeError, match="not healthy"):
        stack.start()


def test_a_service_without_a_url_cannot_be_reached():
    with pytest.raises(StackControlUnavailable, match="inventory_url"):
        StackUrls(gateway="http://g").service("inventory-service")


def test_raw_requests_read_status_and_headers(server):
    answer = send_raw(server, "GET", "/json", [b"X-Correlation-Id: raw-1"])
    assert answer.status == 200 and answer.header("x-correlation-id") == "answer-id"
    assert json.loads(answer.text)["seen"] == "raw-1"


def _junit(directory: Path, cases: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "TESTS-x.xml").write_text(f"<testsuite>{cases}</testsuite>")


def test_the_closing_line_counts_the_junit_results(tmp_path, capsys):
    _junit(
        tmp_path, '<testcase name="a"/><testcase name="b"><failure/></testcase><testcase name="c"><skipped/></testcase>'
    )
    assert closing_line.main([str(tmp_path)]) == 1
    assert capsys.readouterr().out.strip() == "spec: 1 passed, 1 failed, 1 skipped"


def test_no_results_is_never_a_pass(tmp_path, capsys):
    assert closing_line.main([str(tmp_path)]) == 1
    assert "no scenario results" in capsys.readouterr().err
