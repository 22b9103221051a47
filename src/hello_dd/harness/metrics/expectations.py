"""What a scenario expects of the metrics: each expected change exactly reached (and no change it did
not cause), request counts with their latency histograms, and the labels the contract requires."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from hello_dd.harness.metrics.snapshot import (
    Labels,
    MetricsDiff,
    MetricsReader,
    MetricsSnapshot,
    diff,
    format_labels,
    label_matches,
)
from hello_dd.polling import poll

REQUESTS = "http_requests_total"
LATENCY = "http_request_duration_seconds"
#: Requests the suite makes but a scenario does not (health polls, these metric reads).
OPERATIONAL_ROUTES = ("/health", "/metrics")
CIRCUIT_STATES = {"closed": 0, "half-open": 1, "open": 2}
#: A service counts a request once its answer is on the way, a moment after the caller has it.
SETTLE_SECONDS = 5.0


@dataclass(frozen=True)
class ExpectedChange:
    """One row of a scenario's table: ``metric{labels}`` on ``service`` changes by exactly ``change``."""

    service: str
    metric: str
    labels: tuple[tuple[str, str], ...]
    change: float

    @property
    def where(self) -> str:
        return f"{self.metric}{format_labels(self.labels)} on {self.service}"


def settled_diffs(
    before: Mapping[str, MetricsSnapshot], readers: Mapping[str, MetricsReader], expected: Iterable[ExpectedChange]
) -> dict[str, MetricsDiff]:
    """Each service's metrics now against ``before``, once every expected change was reached (or
    :data:`SETTLE_SECONDS` passed): the exact comparison comes after, so a change beyond the expected
    one still fails."""
    wanted = list(expected)

    def current() -> dict[str, MetricsDiff]:
        return {name: diff(snapshot, readers[name].snapshot()) for name, snapshot in before.items()}

    def reached(diffs: dict[str, MetricsDiff]) -> bool:
        return all(diffs[e.service].delta(e.metric, **dict(e.labels)) >= e.change for e in wanted)

    # When the time is up, the exact comparison says what is missing.
    return poll(current, reached, timeout=SETTLE_SECONDS, interval=0.2, on_timeout="last")


def _selected(labels: Labels, selectors: Iterable[Mapping[str, str]]) -> bool:
    have = dict(labels)
    return any(label_matches(have, selector) for selector in selectors)


def exact_change_problems(
    diffs: Mapping[str, MetricsDiff], expected: Iterable[ExpectedChange], ignore_routes: tuple[str, ...] = ()
) -> list[str]:
    """Every expected row whose change was not exactly what was expected, and every change of the
    named metrics that no row's labels select (the scenario did not cause it; series of
    ``ignore_routes`` aside)."""
    rows = list(expected)
    problems = []
    for e in rows:
        delta = diffs[e.service].delta(e.metric, **dict(e.labels))
        if delta != e.change:
            problems.append(f"{e.where}: changed by {delta:g}, expected {e.change:g}")
    for service, metric in sorted({(e.service, e.metric) for e in rows}):
        selectors = [dict(e.labels) for e in rows if (e.service, e.metric) == (service, metric)]
        for change in diffs[service].changes(metric):
            if dict(change.labels).get("route") not in ignore_routes and not _selected(change.labels, selectors):
                problems.append(f"{service}: {change} (not caused by the scenario)")
    return problems


def request_count_rows(rows: Iterable[tuple[str, str, str, float]]) -> list[ExpectedChange]:
    """``(service, "GET /route", status, count)`` rows as the request counter, the latency histogram's
    count and its +Inf bucket each growing by exactly ``count``."""
    expected = []
    for service, request, status, count in rows:
        method, route = request.split(" ", 1)
        labels = tuple(sorted({"method": method, "route": route, "status": status}.items()))
        expected.append(ExpectedChange(service, REQUESTS, labels, count))
        expected.append(ExpectedChange(service, f"{LATENCY}_count", labels, count))
        expected.append(ExpectedChange(service, f"{LATENCY}_bucket", tuple(sorted((*labels, ("le", "+Inf")))), count))
    return expected


def request_problems(diffs: Mapping[str, MetricsDiff], expected: list[ExpectedChange]) -> list[str]:
    """Requests counted and timed exactly as expected, time added to each, and no other request
    counted (the suite's own health and metric reads aside)."""
    problems = exact_change_problems(
        diffs, [e for e in expected if e.metric == REQUESTS], ignore_routes=OPERATIONAL_ROUTES
    )
    for e in expected:
        if e.metric != REQUESTS:
            delta = diffs[e.service].delta(e.metric, **dict(e.labels))
            if delta != e.change:
                problems.append(f"{e.where}: changed by {delta:g}, expected {e.change:g}")
        elif diffs[e.service].delta(f"{LATENCY}_sum", **dict(e.labels)) <= 0:
            problems.append(f"{LATENCY}_sum{format_labels(e.labels)} on {e.service}: no time added")
    return problems


#: The labels the contract requires on the request metrics (obs-metrics). Others are allowed: a service
#: label, say, which the reference stack adds, though the scrape target already tells the services apart.
REQUEST_LABELS = ("method", "route", "status")


def request_metric_problems(snapshot: MetricsSnapshot) -> list[str]:
    """What is wrong with a service's request metrics: ``http_requests_total`` must be a counter and
    ``http_request_duration_seconds`` a histogram, every series labelled by method, route and a
    three-digit status code, and every histogram's buckets consistent."""
    problems = []
    for name, kind in ((REQUESTS, "counter"), (LATENCY, "histogram")):
        family = snapshot.family(name)
        if family is None or family.type != kind:
            problems.append(f"{name} is not published as a {kind} by {snapshot.service}")
    for name in (REQUESTS, f"{LATENCY}_count"):
        samples = snapshot.samples_of(name)
        if not samples:
            problems.append(f"no {name} samples on {snapshot.service}")
        for sample in samples:
            labels = dict(sample.labels)
            if missing := [name for name in REQUEST_LABELS if name not in labels]:
                problems.append(f"{sample}: no {', '.join(missing)} label")
            elif not (labels["status"].isdigit() and len(labels["status"]) == 3):
                problems.append(f"{sample}: the status label is not a three-digit status code")
    return problems + snapshot.histogram_problems()
