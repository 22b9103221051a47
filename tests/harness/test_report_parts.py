"""The report's parts on their own: epics, contract anchors, evidence names, the waterfall's time axis,
environment entries, the history file, and which errors count as the environment's."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hello_dd.harness.exchange import Exchange
from hello_dd.harness.reporting.areas import AREA_EPICS, NO_AREA, epic_of
from hello_dd.harness.reporting.categories import ENVIRONMENT_ERRORS
from hello_dd.harness.reporting.evidence import exchange_title
from hello_dd.harness.reporting.history import entry_ids, prepare, result_ids
from hello_dd.harness.reporting.links import DocumentLinks
from hello_dd.harness.reporting.run_environment import properties, service_version
from hello_dd.harness.traces import Span, Trace, waterfall_svg
from hello_dd.harness.traces.render import tick_label, time_axis


def test_the_epic_is_the_first_area_tag_written_on_the_feature():
    assert epic_of(["chaos", "resilience", "pattern-2"]) == AREA_EPICS["chaos"]
    assert epic_of(["use.with_stack_control=yes", "pattern-2"]) == AREA_EPICS["pattern-2"]
    assert epic_of(["slow"]) == NO_AREA and "@pattern-1" in NO_AREA


def test_contract_links_are_named_after_their_items_and_unknown_ids_are_noted(tmp_path):
    (tmp_path / "docs").mkdir()
    statement = "A customer pays the priced lines minus discounts plus tax, " + "rounded to cents " * 8
    (tmp_path / "docs" / "contract.md").write_text(
        f'## Checkout\n\n- <a id="p2-total"></a>**p2-total** — {statement}.\n', encoding="utf-8"
    )
    links = DocumentLinks.from_userdata({}, tmp_path)
    found = links.for_tags(["contract:p2-total", "critical", "contract:nowhere", "contract:p2-total", "contract:"])
    assert [link.url for link in found] == [
        "../../docs/contract.md#p2-total",
        "../../docs/contract.md#nowhere",
        "../../features/README.md",
    ]
    assert found[0].name.startswith("Contract p2-total: A customer pays") and found[0].name.endswith("…")
    assert len(found[0].name) < 120 and found[1].name == "Contract nowhere"
    assert links.unknown_ids == {"nowhere"}
    without = DocumentLinks.from_userdata({"contract_url": "https://example.org/c.md"}, tmp_path / "no-docs")
    assert [link.name for link in without.for_tags(["contract:x"])] == ["Contract x", "Glossary and policy"]
    assert without.unknown_ids == set()  # without the contract, nothing can be called unknown


def test_an_exchange_is_named_by_method_path_status_and_correlation_id():
    def exchange(url, status, cid=None):
        headers = {"X-Correlation-Id": cid} if cid else {}
        return Exchange("GET", url, {}, None, status, headers, None, 1.0)

    assert exchange_title(exchange("http://127.0.0.1:8000/api/v1/products/123", 200, "abc")) == (
        "GET /api/v1/products/123 → 200 OK · correlation id abc"
    )
    with_query = exchange_title(exchange("http://h/convert?amount=1&from=USD", 404))
    assert with_query == "GET /convert?amount=1&from=USD → 404 Not Found"
    assert exchange_title(exchange("http://h/x", 599)) == "GET /x → 599"
    long = exchange_title(exchange("http://h/" + "a" * 200, 200))
    assert len(long) < 100 and "…" in long


@pytest.mark.parametrize(
    ("extent_ms", "end_ms", "labels"),
    [
        (1.8, 2.0, ["0", "0.5 ms", "1.0 ms", "1.5 ms", "2.0 ms"]),
        (93.4, 100.0, ["0", "20 ms", "40 ms", "60 ms", "80 ms", "100 ms"]),
        (2700.0, 3000.0, ["0", "0.5 s", "1.0 s", "1.5 s"]),
        (7.0, 7.0, ["0", "1 ms", "2 ms"]),
    ],
)
def test_the_time_axis_has_round_ticks_and_ends_on_one(extent_ms, end_ms, labels):
    end, ticks = time_axis(extent_ms)
    assert end == pytest.approx(end_ms)
    assert [label for _, label in ticks][: len(labels)] == labels
    assert len(ticks) <= 9 and len({label for _, label in ticks}) == len(ticks)  # no repeated label
    assert tick_label(0, 5) == "0"


def test_the_waterfall_draws_its_ticks_and_bars_on_the_same_scale():
    root = Span("a" * 32, "1" * 16, None, "api-gateway", "GET /x", "server", 0, 93_400_000)
    child = Span("a" * 32, "2" * 16, "1" * 16, "inventory-service", "GET /y", "server", 10_000_000, 30_000_000)
    svg = ET.fromstring(waterfall_svg(Trace([root, child])))
    ns = "{http://www.w3.org/2000/svg}"
    labels = {t.text: float(t.get("x")) for t in svg.iter(f"{ns}text") if t.get("text-anchor") == "middle"}
    assert list(labels) == ["0", "20 ms", "40 ms", "60 ms", "80 ms", "100 ms"]
    bars = [r for r in svg.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    per_ms = (labels["100 ms"] - labels["0"]) / 100
    assert float(bars[0].get("width")) == pytest.approx(93.4 * per_ms, abs=0.1)
    assert float(bars[1].get("x")) == pytest.approx(labels["0"] + 10 * per_ms, abs=0.1)  # starts at 10 ms


def test_environment_entries_are_java_properties():
    text = properties({"Gateway URL": "http://127.0.0.1:8000", "Note": " leading space\nand a line", "a=b": "c:d"})
    assert text.splitlines() == [
        "Gateway\\ URL=http://127.0.0.1:8000",
        "Note=\\ leading space\\nand a line",
        "a\\=b=c:d",
    ]


class _Health(BaseHTTPRequestHandler):
    answers = {"/ok/health": (200, {"status": "ok", "version": "1.2.3"}), "/bare/health": (200, {"status": "ok"})}

    def do_GET(self):
        status, body = self.answers.get(self.path, (500, {"error": "boom"}))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_a_service_version_is_what_its_health_check_reports():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert service_version(f"{base}/ok") == "1.2.3"
        assert service_version(f"{base}/bare") == "unknown (/health answered 200 without a version)"
        assert service_version(f"{base}/broken") == "unknown (/health answered 500 without a version)"
    finally:
        server.shutdown()
        server.server_close()
    assert service_version(base + "/ok").startswith("unknown (ConnectionError")  # nothing listens any more
    assert service_version(None) == "unknown (no URL)"


def _line(*uuids: str) -> str:
    items = {f"h{i}": {"id": hashlib.md5(u.encode()).hexdigest(), "status": "passed"} for i, u in enumerate(uuids)}
    return json.dumps({"uuid": "report", "testResults": items})


def test_a_rebuild_replaces_its_runs_history_line_and_keeps_the_others(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    for uuid in ("run2-a", "run2-b"):
        (results / f"{uuid}-result.json").write_text(json.dumps({"uuid": uuid}))
    history = tmp_path / "history.jsonl"
    history.write_text(_line("run1-a", "run1-b") + "\n" + _line("run2-a", "run2-b") + "\n")
    assert entry_ids(_line("run2-a")) <= result_ids(results)

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    working = prepare(history, results, scratch)
    assert (working.earlier_runs, working.replaced_runs) == (1, 1)
    assert working.copy.read_text().splitlines() == [_line("run1-a", "run1-b")]
    working.copy.write_text(working.copy.read_text() + _line("run2-a", "run2-b") + "\n")  # what Allure appends
    working.commit()
    assert len(history.read_text().splitlines()) == 2 and not working.copy.exists()

    fresh = prepare(tmp_path / "none.jsonl", results, scratch)
    assert (fresh.earlier_runs, fresh.copy.read_text()) == (0, "")


@pytest.mark.parametrize(
    ("message", "environment"),
    [
        ("requests.exceptions.ConnectionError: ... [Errno 111] Connection refused", True),
        ("docker.errors.DockerException: Error while fetching server API version", True),
        ("OSError: [Errno 98] Address already in use", True),
        ("hello_dd.harness.providers.base.StackControlUnavailable: stack=external cannot stop services", True),
        ("KeyError: 'order'", False),
        ("TypeError: unsupported operand type(s)", False),
    ],
)
def test_environment_errors_are_told_from_the_suites_own(message, environment):
    assert bool(re.search(ENVIRONMENT_ERRORS, message)) is environment  # the same syntax as Allure's JavaScript
