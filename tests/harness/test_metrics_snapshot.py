"""The metrics reader of the suite: parse with prometheus-client's parser, select by label subset,
and compare two snapshots (counters and histogram _count/_bucket/_sum, never _created or gauges)."""

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from hello_dd.harness.metrics import (
    MetricsReader,
    MetricsSnapshot,
    MetricsUnreadable,
    diff,
    parse_label_filter,
    request_metric_problems,
)


def _registry():
    registry = CollectorRegistry()
    requests = Counter("http_requests_total", "Requests.", ["service", "route", "status"], registry=registry)
    latency = Histogram(
        "http_request_duration_seconds",
        "Latency.",
        ["service", "route", "status"],
        buckets=(0.1, 1.0),
        registry=registry,
    )
    state = Gauge("circuit_breaker_state", "State.", ["dependency"], registry=registry)
    orders = Counter("orders_total", "Orders.", ["outcome"], registry=registry)
    return registry, requests, latency, state, orders


def _snapshot(registry, service="api-gateway"):
    return MetricsSnapshot.parse(generate_latest(registry).decode(), service)


def test_values_are_summed_over_the_series_whose_labels_include_the_filter():
    registry, requests, *_ = _registry()
    requests.labels("api-gateway", "/a", "200").inc(3)
    requests.labels("api-gateway", "/a", "404").inc()
    requests.labels("api-gateway", "/b", "200").inc(5)
    snapshot = _snapshot(registry)
    assert snapshot.value("http_requests_total", route="/a", status="200") == 3
    assert snapshot.value("http_requests_total", route="/a") == 4
    assert snapshot.value("http_requests_total") == 9
    assert snapshot.value("http_requests_total", route="/missing") == 0


def test_a_counter_family_is_found_by_its_sample_name_and_keeps_its_type():
    registry, *_, orders = _registry()
    snapshot = _snapshot(registry)
    family = snapshot.family("orders_total")
    assert family is not None and family.type == "counter" and family.samples == ()
    assert snapshot.family("http_request_duration_seconds_count").type == "histogram"
    assert snapshot.family("nothing_total") is None


def test_the_diff_counts_what_happened_between_two_snapshots():
    registry, requests, latency, state, orders = _registry()
    requests.labels("api-gateway", "/a", "200").inc(10)
    latency.labels("api-gateway", "/a", "200").observe(0.05)
    before = _snapshot(registry)
    requests.labels("api-gateway", "/a", "200").inc(2)
    requests.labels("api-gateway", "/a", "500").inc()  # a series that did not exist before
    latency.labels("api-gateway", "/a", "200").observe(0.5)
    latency.labels("api-gateway", "/a", "200").observe(0.05)
    state.labels("pricing-service").set(2)
    orders.labels("confirmed").inc()
    after = _snapshot(registry)
    changed = diff(before, after)

    assert changed.delta("http_requests_total", route="/a", status="200") == 2
    assert changed.delta("http_requests_total", route="/a", status="500") == 1
    assert changed.delta("http_request_duration_seconds_count", status="200") == 2
    assert changed.delta("http_request_duration_seconds_bucket", status="200", le="0.1") == 1
    assert changed.delta("http_request_duration_seconds_bucket", status="200", le="+Inf") == 2
    assert changed.delta("http_request_duration_seconds_sum", status="200") == pytest.approx(0.55)
    assert changed.delta("orders_total", outcome="confirmed") == 1

    names = {change.name for change in changed.changes()}
    assert "circuit_breaker_state" not in names  # a gauge: a state, not something counted
    assert not any(name.endswith("_created") for name in names)
    assert [str(c) for c in changed.changes("http_requests_total")] == [
        'http_requests_total{route="/a",service="api-gateway",status="200"} +2 (10 -> 12)',
        'http_requests_total{route="/a",service="api-gateway",status="500"} +1 (0 -> 1)',
    ]
    assert "orders_total" in changed.describe()


def test_nothing_changed_says_so():
    registry, requests, *_ = _registry()
    requests.labels("api-gateway", "/a", "200").inc()
    snapshot = _snapshot(registry)
    assert diff(snapshot, _snapshot(registry)).changes() == []
    assert diff(snapshot, snapshot).describe() == "api-gateway: no change"


def test_text_the_real_parser_rejects_is_reported_as_unreadable():
    with pytest.raises(MetricsUnreadable, match="not valid Prometheus text"):
        MetricsSnapshot.parse('http_requests_total{route="/a" 1\n', "inventory-service")


def test_consistent_histograms_have_no_problems_and_broken_ones_are_named():
    registry, _, latency, *_ = _registry()
    latency.labels("api-gateway", "/a", "200").observe(0.5)
    assert _snapshot(registry).histogram_problems() == []

    broken = MetricsSnapshot.parse(
        '# TYPE d histogram\nd_bucket{le="0.1"} 3\nd_bucket{le="1.0"} 2\nd_bucket{le="+Inf"} 3\nd_count 4\nd_sum 1.0\n'
    )
    problems = broken.histogram_problems()
    assert any("not cumulative" in p for p in problems)
    assert any("differs from _count" in p for p in problems)


def test_label_filters_read_as_name_value_pairs():
    assert parse_label_filter("dependency=pricing-service, outcome=success") == {
        "dependency": "pricing-service",
        "outcome": "success",
    }
    assert parse_label_filter("") == {}
    assert parse_label_filter(None) == {}
    with pytest.raises(ValueError):
        parse_label_filter("outcome")


def test_the_reader_fetches_and_parses_a_metrics_endpoint(monkeypatch):
    registry, requests_counter, *_ = _registry()
    requests_counter.labels("pricing-service", "/prices/{productId}", "200").inc()

    class Answer:
        status_code = 200
        headers = {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}
        text = generate_latest(registry).decode()

    seen = []
    monkeypatch.setattr(
        "hello_dd.harness.metrics.snapshot.requests.get", lambda url, timeout: seen.append(url) or Answer()
    )
    snapshot = MetricsReader("pricing-service", "http://127.0.0.1:9/").snapshot()
    assert seen == ["http://127.0.0.1:9/metrics"]
    assert snapshot.value("http_requests_total", route="/prices/{productId}") == 1

    Answer.headers = {"Content-Type": "application/json"}
    with pytest.raises(MetricsUnreadable, match="not Prometheus text"):
        MetricsReader("pricing-service", "http://127.0.0.1:9").snapshot()


def _request_metrics(labels: list[str], values: list[str]) -> MetricsSnapshot:
    registry = CollectorRegistry()
    Counter("http_requests_total", "Requests.", labels, registry=registry).labels(*values).inc()
    latency = Histogram("http_request_duration_seconds", "Latency.", labels, buckets=(0.1,), registry=registry)
    latency.labels(*values).observe(0.05)
    return _snapshot(registry, "inventory-service")


def test_request_metrics_need_method_route_and_status_and_may_carry_more_labels():
    plain = _request_metrics(["method", "route", "status"], ["GET", "/inventory/:id", "200"])
    assert request_metric_problems(plain) == []
    with_service = _request_metrics(["method", "route", "service", "status"], ["GET", "/x", "pricing", "200"])
    assert request_metric_problems(with_service) == []
    no_method = _request_metrics(["route", "status"], ["/x", "200"])
    assert any("no method label" in problem for problem in request_metric_problems(no_method))
    named_status = _request_metrics(["method", "route", "status"], ["GET", "/x", "OK"])
    assert any("three-digit" in problem for problem in request_metric_problems(named_status))


def test_a_route_is_matched_whatever_its_router_calls_the_path_parameters():
    snapshot = _request_metrics(["method", "route", "status"], ["GET", "/api/v1/products/:id", "200"])
    assert snapshot.value("http_requests_total", route="/api/v1/products/{product_id}", status="200") == 1
    assert snapshot.value("http_requests_total", route="/api/v1/products/{id:[0-9]+}") == 1
    assert snapshot.value("http_requests_total", route="/api/v1/products/bulk-check") == 0
    assert snapshot.value("http_requests_total", route="/api/v1/orders/{id}") == 0
