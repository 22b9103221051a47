"""Reading a service's Prometheus metrics: fetch ``/metrics``, parse it with prometheus-client's own
text parser (what a Prometheus server would accept), keep it as a snapshot, and compare two snapshots.

A scenario notes a snapshot before it acts and compares one taken afterwards, so its figures hold on a
stack that has served other scenarios before: ``diff(before, after).delta("http_requests_total",
route="/inventory/{productId}", status="200")`` is how many such requests were counted in between.
Labels select by subset: the series whose labels include every given label are summed.

Counters are compared by their ``_total`` samples and histograms by ``_count``, ``_sum`` and
``_bucket``; ``_created`` samples (when a series first appeared) and gauges are not changes a
scenario causes and are left out of :meth:`MetricsDiff.changes`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import requests
from prometheus_client.parser import text_string_to_metric_families

from hello_dd.polling import PollTimeout, poll

Labels = tuple[tuple[str, str], ...]

# The samples whose change a scenario can cause (counters and histograms), by suffix.
_COUNTING_SUFFIXES = ("_total", "_count", "_sum", "_bucket")


class MetricsUnreadable(AssertionError):
    """The ``/metrics`` answer is not Prometheus text a real parser accepts (an AssertionError, so a
    scenario fails with the reason instead of erroring)."""


# A path parameter in a route label, however the implementation's router writes it: {product_id},
# {id:[0-9]+} or :id.
_PATH_PARAMETER = re.compile(r"\{[^}]*\}|:[A-Za-z_][A-Za-z0-9_]*")


def route_shape(route: str) -> str:
    """A route template with its parameters' names left out: ``/api/v1/products/{product_id}`` and
    ``/api/v1/products/:id`` are the same route (the contract does not name path parameters)."""
    return _PATH_PARAMETER.sub("{}", route)


def label_matches(labels: Mapping[str, str], wanted: Mapping[str, object]) -> bool:
    """``labels`` include every ``wanted`` label; a ``route`` compared by its shape (:func:`route_shape`)."""
    for key, value in wanted.items():
        have = labels.get(key)
        if key == "route" and have is not None:
            if route_shape(have) != route_shape(str(value)):
                return False
        elif have != str(value):
            return False
    return True


@dataclass(frozen=True)
class Sample:
    name: str
    labels: Labels
    value: float

    def has_labels(self, wanted: Mapping[str, str]) -> bool:
        return label_matches(dict(self.labels), wanted)

    def __str__(self) -> str:
        return f"{self.name}{format_labels(self.labels)} {self.value:g}"


@dataclass(frozen=True)
class Family:
    """One metric as its ``# TYPE`` line declares it (``name`` without the ``_total`` of a counter)."""

    name: str
    type: str
    documentation: str
    samples: tuple[Sample, ...]


@dataclass
class _HistogramSeries:
    """One labelled series of a histogram: its buckets as (upper bound, count), and its ``_count``."""

    buckets: list[tuple[float, float]] = field(default_factory=list)
    count: float | None = None


def format_labels(labels: Iterable[tuple[str, str]] | Mapping[str, str]) -> str:
    pairs = labels.items() if isinstance(labels, Mapping) else labels
    inner = ",".join(f'{key}="{value}"' for key, value in sorted(pairs))
    return "{" + inner + "}" if inner else ""


def parse_label_filter(text: str | None) -> dict[str, str]:
    """``"dependency=pricing-service, outcome=success"`` -> a label dict (empty text: no labels)."""
    labels: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"a label filter is name=value, not {part.strip()!r}")
        labels[key.strip()] = value.strip().strip('"')
    return labels


@dataclass(frozen=True)
class MetricsSnapshot:
    service: str
    families: dict[str, Family]
    text: str = field(repr=False)

    @classmethod
    def parse(cls, text: str, service: str = "") -> MetricsSnapshot:
        try:
            parsed = list(text_string_to_metric_families(text))
        except Exception as exc:  # the parser raises ValueError, IndexError, ...
            raise MetricsUnreadable(
                f"{service or 'the service'}'s /metrics is not valid Prometheus text: {exc!r}"
            ) from exc
        families = {}
        for family in parsed:
            samples = tuple(Sample(s.name, tuple(sorted(s.labels.items())), float(s.value)) for s in family.samples)
            families[family.name] = Family(family.name, family.type, family.documentation, samples)
        return cls(service, families, text)

    @property
    def samples(self) -> list[Sample]:
        return [sample for family in self.families.values() for sample in family.samples]

    def family(self, name: str) -> Family | None:
        """The family a metric name belongs to: ``http_requests_total`` finds the counter ``http_requests``,
        ``http_request_duration_seconds_count`` the histogram ``http_request_duration_seconds``."""
        if name in self.families:
            return self.families[name]
        for suffix in ("_total", "_count", "_sum", "_bucket", "_created"):
            if name.endswith(suffix) and name[: -len(suffix)] in self.families:
                return self.families[name[: -len(suffix)]]
        return None

    def samples_of(self, name: str, **labels: str) -> list[Sample]:
        family = self.family(name)
        if family is None:
            return []
        return [s for s in family.samples if s.name == name and s.has_labels(labels)]

    def value(self, name: str, **labels: str) -> float:
        """The sum over the series of ``name`` whose labels include ``labels``; 0 when there is none
        (a labelled counter appears only once it was first incremented)."""
        return sum(s.value for s in self.samples_of(name, **labels))

    def histogram_problems(self) -> list[str]:
        """What is inconsistent in the histograms: buckets that are not cumulative, a missing ``+Inf``
        bucket, or a ``+Inf`` bucket that differs from ``_count``."""
        problems = []
        for family in self.families.values():
            if family.type != "histogram":
                continue
            series: dict[Labels, _HistogramSeries] = {}
            for sample in family.samples:
                sample_labels = dict(sample.labels)
                le = sample_labels.pop("le", None)
                entry = series.setdefault(tuple(sorted(sample_labels.items())), _HistogramSeries())
                if sample.name.endswith("_bucket") and le is not None:
                    entry.buckets.append((float(le), sample.value))
                elif sample.name.endswith("_count"):
                    entry.count = sample.value
            for labels, entry in series.items():
                where = f"{family.name}{format_labels(labels)}"
                buckets = sorted(entry.buckets)
                counts = [count for _, count in buckets]
                if counts != sorted(counts):
                    problems.append(f"{where}: bucket counts are not cumulative: {buckets}")
                if not buckets or not math.isinf(buckets[-1][0]):
                    problems.append(f"{where}: no +Inf bucket")
                elif entry.count != buckets[-1][1]:
                    problems.append(f"{where}: +Inf bucket {buckets[-1][1]:g} differs from _count {entry.count}")
        return problems


@dataclass(frozen=True)
class Change:
    name: str
    labels: Labels
    before: float
    after: float

    @property
    def delta(self) -> float:
        return self.after - self.before

    def __str__(self) -> str:
        return f"{self.name}{format_labels(self.labels)} {self.delta:+g} ({self.before:g} -> {self.after:g})"


@dataclass(frozen=True)
class MetricsDiff:
    before: MetricsSnapshot
    after: MetricsSnapshot

    def delta(self, name: str, **labels: str) -> float:
        return self.after.value(name, **labels) - self.before.value(name, **labels)

    def changes(self, name: str | None = None, **labels: str) -> list[Change]:
        """Every counter or histogram series that changed (optionally only ``name``, only these labels)."""
        old = {(s.name, s.labels): s.value for s in self.before.samples}
        found = []
        for sample in self.after.samples:
            if name is not None and sample.name != name:
                continue
            if not sample.name.endswith(_COUNTING_SUFFIXES) or not sample.has_labels(labels):
                continue
            family = self.after.family(sample.name)
            if family is None or family.type not in ("counter", "histogram", "summary"):
                continue
            previous = old.get((sample.name, sample.labels), 0.0)
            if sample.value != previous:
                found.append(Change(sample.name, sample.labels, previous, sample.value))
        return found

    def describe(self, name: str | None = None, **labels: str) -> str:
        changes = self.changes(name, **labels)
        title = f"{self.after.service}: " if self.after.service else ""
        return title + ("\n  ".join(["changes:", *map(str, changes)]) if changes else "no change")


def diff(before: MetricsSnapshot, after: MetricsSnapshot) -> MetricsDiff:
    return MetricsDiff(before, after)


class MetricsReader:
    """Fetches one service's ``/metrics``. Not through the scenario's recorded HTTP client: a metrics
    read is not the request a scenario is about (and would become ``world.answer``)."""

    def __init__(self, service: str, base_url: str, timeout: float = 10.0):
        self.service = service
        self.url = base_url.rstrip("/") + "/metrics"
        self.timeout = timeout

    def snapshot(self) -> MetricsSnapshot:
        response = requests.get(self.url, timeout=self.timeout)
        if response.status_code != 200:
            raise MetricsUnreadable(f"GET {self.url} -> {response.status_code}: {response.text[:300]}")
        content_type = response.headers.get("Content-Type", "")
        if not content_type.startswith("text/plain"):
            raise MetricsUnreadable(f"GET {self.url} answered {content_type!r}, not Prometheus text (text/plain)")
        return MetricsSnapshot.parse(response.text, self.service)


# -- what a scenario expects of the metrics -------------------------------------------------------------

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

    try:
        return poll(current, reached, timeout=SETTLE_SECONDS, interval=0.2, what="the expected metric changes")
    except PollTimeout:
        return current()  # the exact comparison says what is missing


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
