"""Steps of features/observability.feature: the services' metrics (read with prometheus-client's
parser, compared before and after what a scenario does) and their structured, correlated log lines.

Metric reads go through harness.metrics, not the scenario's HTTP clients: they are not the request a
scenario is about. Log lines come from the provider (harness.logs); each log step attaches the lines
of the scenario's correlation ids to the report."""

from __future__ import annotations

import re
from datetime import datetime

from behave import given, then, when
from hamcrest import assert_that, empty, equal_to, has_length, is_in, is_not, matches_regexp

from hello_dd.harness import expect
from hello_dd.harness.logs import LogLine, lines_with
from hello_dd.harness.metrics import Change, MetricsReader, MetricsSnapshot, diff, format_labels, parse_label_filter
from hello_dd.harness.polling import PollTimeout, poll
from hello_dd.harness.providers.base import SERVICE_NAMES, StackControlUnavailable

# Requests a scenario does not make but the suite does (its health polls, these metric reads).
OPERATIONAL_ROUTES = ("/health", "/metrics")
REQUESTS = "http_requests_total"
LATENCY = "http_request_duration_seconds"
DOCUMENTED_FIELDS = ("timestamp", "level", "service", "logger", "message", "correlation_id", "request_id", "trace_id", "span_id")
REQUEST_LINE_FIELDS = ("method", "route", "status", "duration_ms")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
CIRCUIT_STATES = {"closed": 0, "half-open": 1, "open": 2}
# Counters settle a moment after the answer: a service counts a request once its answer is sent.
SETTLE_SECONDS = 5


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r",\s*|\s+and\s+", text) if part.strip()]


# -- metrics --------------------------------------------------------------------------------------


def _reader(context, service: str) -> MetricsReader | None:
    """The service's metrics reader; None after skipping the scenario when its URL is not known (an
    external deployment given without -D inventory_url=... or -D pricing_url=...)."""
    try:
        return MetricsReader(service, context.world.provider.urls.service(service))
    except StackControlUnavailable as exc:
        context.scenario.skip(reason=f"stack={context.world.provider.name}: {exc}")
        return None


def _snapshot(context, service: str) -> MetricsSnapshot:
    reader = _reader(context, service)
    if reader is None:
        raise StackControlUnavailable(f"no URL is known for {service}")
    return reader.snapshot()


def _note_before(context, services) -> None:
    readers = {name: _reader(context, name) for name in services}
    if any(reader is None for reader in readers.values()):
        return
    context.world.remembered["metrics_before"] = {name: reader.snapshot() for name, reader in readers.items()}


@when("the operator reads the metrics of the {service:Service}")
def read_metrics(context, service):
    if (reader := _reader(context, service)) is not None:
        context.world.remembered["metrics"] = reader.snapshot()  # parsed: unreadable text fails here


@given("the operator has noted the metrics of every service")
def note_every_service(context):
    _note_before(context, SERVICE_NAMES)


@given("the operator has noted the metrics of the {service:Service}")
def note_one_service(context, service):
    _note_before(context, [service])


@then("they parse as Prometheus metrics, with requests counted and timed by method, route and status")
def parsed_with_request_metrics(context):
    snapshot: MetricsSnapshot = context.world.remembered["metrics"]
    counted = snapshot.family(REQUESTS)
    timed = snapshot.family(LATENCY)
    assert_that(counted and counted.type, equal_to("counter"), f"{REQUESTS} in {snapshot.service}'s /metrics")
    assert_that(timed and timed.type, equal_to("histogram"), f"{LATENCY} in {snapshot.service}'s /metrics")
    for name in (REQUESTS, f"{LATENCY}_count"):
        samples = snapshot.samples_of(name)
        assert_that(samples, is_not(empty()), f"{name} samples on {snapshot.service}")
        for sample in samples:
            assert_that(sorted(dict(sample.labels)), equal_to(["method", "route", "service", "status"]), str(sample))
            assert_that(dict(sample.labels)["service"], equal_to(snapshot.service), str(sample))
            assert_that(dict(sample.labels)["status"], matches_regexp(r"^[1-5]\d\d$"), str(sample))
    assert_that(snapshot.histogram_problems(), equal_to([]), f"the histograms of {snapshot.service}")


@then("they include {names}")
def include_metrics(context, names):
    snapshot: MetricsSnapshot = context.world.remembered["metrics"]
    missing = [name for name in _split(names) if snapshot.family(name) is None]
    assert_that(missing, equal_to([]), f"metrics {snapshot.service} does not publish (families: {sorted(snapshot.families)})")
    for name in _split(names):
        family = snapshot.family(name)
        if name.endswith("_total"):
            assert_that(family.type, equal_to("counter"), f"{name} is a counter")


def _settled_diffs(context, expected: dict[tuple[str, str, tuple], float]):
    """Polls each service's metrics until every expected change was reached (a service counts a request
    once its answer is on the way, a moment after the caller may have it), then returns the diffs:
    exact comparisons come after, so a change beyond the expected one still fails."""
    before: dict[str, MetricsSnapshot] = context.world.remembered["metrics_before"]

    def current():
        return {name: diff(snapshot, _snapshot(context, name)) for name, snapshot in before.items()}

    def reached(diffs):
        return all(diffs[s].delta(metric, **dict(labels)) >= value for (s, metric, labels), value in expected.items())

    try:
        diffs = poll(current, reached, timeout=SETTLE_SECONDS, interval=0.2, what="the expected metric changes")
    except PollTimeout:
        diffs = current()  # the exact comparison below says what is missing
    context.world.evidence.note("metric changes during the scenario", "\n\n".join(d.describe() for d in diffs.values()))
    return diffs


def _unlisted(changes: list[Change], listed: list[dict[str, str]]) -> list[Change]:
    """The changes of series that none of the ``listed`` label sets selects."""
    return [c for c in changes if not any(all(dict(c.labels).get(k) == v for k, v in labels.items()) for labels in listed)]


@then("the services' metrics count exactly these new requests, each timed once in the latency histogram")
def count_exactly_these_requests(context):
    rows = [
        (row["service"], {"method": row["method"], "route": row["route"], "status": row["status"]}, float(row["requests"]))
        for row in context.table
    ]
    expected = {(s, REQUESTS, tuple(sorted(labels.items()))): n for s, labels, n in rows}
    diffs = _settled_diffs(context, expected)
    for service, labels, count in rows:
        changed = diffs[service]
        where = f"{service} {format_labels(labels)}\n{changed.describe()}"
        assert_that(changed.delta(REQUESTS, **labels), equal_to(count), f"requests counted for {where}")
        assert_that(changed.delta(f"{LATENCY}_count", **labels), equal_to(count), f"requests timed for {where}")
        assert_that(changed.delta(f"{LATENCY}_bucket", le="+Inf", **labels), equal_to(count), f"+Inf bucket for {where}")
        assert_that(changed.delta(f"{LATENCY}_sum", **labels) > 0, equal_to(True), f"time added to _sum for {where}")
    for service, changed in diffs.items():
        listed = [labels for s, labels, _ in rows if s == service]
        others = [c for c in _unlisted(changed.changes(REQUESTS), listed) if dict(c.labels).get("route") not in OPERATIONAL_ROUTES]
        assert_that([str(c) for c in others], equal_to([]), f"{service} counted requests the scenario did not make")


@then("the metrics changed by exactly")
def changed_by_exactly(context):
    """Each row is a change the scenario caused; no other series of the metrics named changed."""
    rows = [(row["service"], row["metric"], parse_label_filter(row["labels"]), float(row["change"])) for row in context.table]
    expected = {(s, metric, tuple(sorted(labels.items()))): change for s, metric, labels, change in rows}
    diffs = _settled_diffs(context, expected)
    for service, metric, labels, change in rows:
        assert_that(
            diffs[service].delta(metric, **labels),
            equal_to(change),
            f"change of {metric}{format_labels(labels)} on {service}\n{diffs[service].describe(metric)}",
        )
    for service, metric in {(s, m) for s, m, _, _ in rows}:
        listed = [labels for s, m, labels, _ in rows if (s, m) == (service, metric)]
        others = _unlisted(diffs[service].changes(metric), listed)
        assert_that([str(c) for c in others], equal_to([]), f"{metric} on {service} changed in ways the scenario did not cause")


@when("the circuit's cool-down passes and product {product:ProductId} is fully served again")
def circuit_recovers(context, product):
    # A When, so the circuit is closed again before any check can fail and leave it open for the
    # scenarios after this one.
    context.world.gateway.wait_until_fully_served(product)


@then("the metrics read during the failures showed the circuit to {dependency:Service} {state}")
def circuit_state_then(context, dependency, state):
    snapshot: MetricsSnapshot = context.world.remembered["metrics"]
    samples = snapshot.samples_of("circuit_breaker_state", dependency=dependency)
    assert_that([s.value for s in samples], equal_to([CIRCUIT_STATES[state]]), f"circuit_breaker_state on {snapshot.service}: {samples}")


@then("the {service:Service}'s metrics show the circuit to {dependency:Service} {state}")
def circuit_state_in_metrics(context, service, dependency, state):
    wanted = CIRCUIT_STATES[state]
    last = poll(
        lambda: _snapshot(context, service).samples_of("circuit_breaker_state", dependency=dependency),
        lambda samples: len(samples) == 1 and samples[0].value == wanted,
        timeout=SETTLE_SECONDS,
        what=f"circuit_breaker_state{{dependency={dependency!r}}} == {wanted} ({state}) on {service}",
    )
    context.world.evidence.note("circuit state in the metrics", str(last[0]))


# -- logs -----------------------------------------------------------------------------------------


def _attach_excerpt(context, logs: dict[str, list[LogLine]] | None = None) -> None:
    """The log lines of the scenario's correlation ids, per service, as a report attachment."""
    ids = list(context.world.evidence.correlation_ids)
    ids += [value for value in [context.world.remembered.get("headers", {}).get("X-Correlation-Id")] if value and value not in ids]
    if not ids:
        return
    logs = logs if logs is not None else context.world.log_lines()
    excerpt = [line.raw for name in logs for line in logs[name] if line.get("correlation_id") in ids]
    context.world.evidence.note(f"log lines of correlation id(s) {', '.join(ids)}", "\n".join(excerpt) or "(none)")


def _traced(context) -> bool:
    return getattr(context.world.provider, "tracer", "otel") != "none"


def _timestamp_ok(value) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _structure_problems(logs: dict[str, list[LogLine]], fields: tuple[str, ...], traced: bool) -> list[str]:
    """Lines that are not one JSON object, lack a field, or were logged for a request (they have a
    correlation id or a trace id) without naming all of its ids (the trace ids only when ``traced``)."""
    ids = ("correlation_id", "request_id", "trace_id", "span_id") if traced else ("correlation_id", "request_id")
    problems = []
    for service, lines in logs.items():
        for number, line in enumerate(lines, 1):
            where = f"{service} line {number}: {line.raw[:300]}"
            if not line.is_json:
                problems.append(f"not one JSON object: {where}")
                continue
            if (line.get("correlation_id") or line.get("trace_id")) and not all(line.get(name) for name in ids):
                problems.append(f"logged for a request without naming {ids}: {where}")
            missing = [name for name in fields if name not in line.fields]
            if missing:
                problems.append(f"missing {missing}: {where}")
            elif line.get("service") != service or line.get("level") not in LEVELS or not _timestamp_ok(line.get("timestamp")):
                problems.append(f"wrong service, level or timestamp: {where}")
    return problems


@then("every line each service has logged so far is one JSON object with {fields}")
def every_line_structured(context, fields):
    wanted = tuple(_split(fields))
    assert_that(sorted(wanted), equal_to(sorted(DOCUMENTED_FIELDS)), "the documented fields (steps/observability_steps.py)")
    logs = context.world.log_lines()
    for service, lines in logs.items():
        assert_that(lines, is_not(empty()), f"{service} has logged nothing")
    problems = _structure_problems(logs, wanted, _traced(context))
    context.world.evidence.note("log lines checked", "\n".join(f"{s}: {len(l)} lines" for s, l in logs.items()))
    _attach_excerpt(context, logs)
    assert_that(problems[:20], equal_to([]), f"{len(problems)} log lines are not structured as documented")


@then("every line each service has logged so far is still one JSON object, and each line about a request names its ids")
def every_line_still_json(context):
    answer = context.world.remembered.get("raw_answer")
    if answer is not None and answer.status == 200 and answer.header("X-Correlation-Id"):
        # The request was served: wait until the gateway has logged it, so its lines are checked too.
        poll(
            lambda: lines_with(context.world.log_lines(("api-gateway",))["api-gateway"], correlation_id=answer.header("X-Correlation-Id")),
            bool,
            timeout=SETTLE_SECONDS,
            what="the gateway's log lines of the request with the hostile correlation id",
        )
    logs = context.world.log_lines()
    _attach_excerpt(context, logs)
    problems = _structure_problems(logs, (), _traced(context))
    assert_that(problems[:20], equal_to([]), "a log line was split, forged or cut off from its request")


@then("every request line also says {fields}")
def request_lines_complete(context, fields):
    wanted = tuple(_split(fields))
    assert_that(sorted(wanted), equal_to(sorted(REQUEST_LINE_FIELDS)), "the documented request line fields")
    problems = []
    count = 0
    for service, lines in context.world.log_lines().items():
        for line in lines:
            if not any(name in (line.fields or {}) for name in ("route", "duration_ms")):
                continue  # not a request line (an error line may carry a status, never a route or a duration)
            count += 1
            fields_ok = all(line.get(name) not in (None, "") for name in wanted)
            typed = isinstance(line.get("status"), int) and isinstance(line.get("duration_ms"), (int, float))
            ids = line.get("correlation_id") and line.get("request_id")
            if not (fields_ok and typed and ids):
                problems.append(f"{service}: {line.raw[:300]}")
    assert_that(count > 0, equal_to(True), "no request line was logged")
    assert_that(problems[:20], equal_to([]), f"{len(problems)} of {count} request lines lack {wanted} or their ids")


@then("all the lines with that correlation id carry one trace id, and each service its own span ids")
def one_trace_id(context):
    cid = context.world.remembered["headers"]["X-Correlation-Id"]
    logs = context.world.log_lines()
    _attach_excerpt(context, logs)
    found = {name: lines_with(lines, correlation_id=cid) for name, lines in logs.items()}
    trace_ids = {line.get("trace_id") for lines in found.values() for line in lines}
    assert_that(trace_ids, has_length(1), f"trace ids of the lines with correlation id {cid}: {trace_ids}")
    (trace_id,) = trace_ids
    assert_that(trace_id or "", matches_regexp(r"^(?!0{32})[0-9a-f]{32}$"), "a W3C trace id")
    spans = {name: {line.get("span_id") for line in lines} for name, lines in found.items()}
    for name, ids in spans.items():
        assert_that(all(isinstance(i, str) and re.fullmatch(r"[0-9a-f]{16}", i) for i in ids), equal_to(True), f"{name}: {ids}")
    shared = set.intersection(*spans.values()) if spans else set()
    assert_that(shared, equal_to(set()), f"services logged the same span id: {spans}")


@when("a request to {service:Service} fails unexpectedly")
def crash(context, service):
    context.world.service_client(service).get("/simulate/crash")


def _error_lines(context, services, need_stack_trace=False):
    cid = context.world.last.correlation_id
    assert_that(cid, matches_regexp(r"\S+"), f"the answer names its correlation id\n{context.world.last.describe()}")

    def errors():
        logs = context.world.log_lines(tuple(services))
        return logs, {
            name: [
                line
                for line in lines_with(lines, correlation_id=cid, level="ERROR")
                if not need_stack_trace or "Traceback" in str(line.get("exc_info") or "")
            ]
            for name, lines in logs.items()
        }

    try:
        logs, found = poll(errors, lambda got: all(got[1].values()), timeout=SETTLE_SECONDS, what="error lines")
    except PollTimeout:
        logs, found = errors()
    _attach_excerpt(context, logs)
    for name in services:
        mine = lines_with(logs[name], correlation_id=cid)
        shown = "\n".join(line.raw[:400] for line in mine) or "(no line with that correlation id)"
        kind = "an error line with its stack trace" if need_stack_trace else "an error line"
        assert_that(found[name], is_not(empty()), f"{name} logged no {kind} for correlation id {cid}:\n{shown}")


@then("{services:Services} logged the failure at error level with the answer's correlation id")
def logged_error(context, services):
    _error_lines(context, services)


@then("{service:Service} logged the failure at error level with the answer's correlation id and its stack trace")
def logged_crash(context, service):
    _error_lines(context, [service], need_stack_trace=True)


@then("the caller was told only that something unexpected failed")
def told_only(context):
    exchange = context.world.last
    assert_that(exchange.status, equal_to(500), exchange.describe())
    assert_that(exchange.error and exchange.error.get("code"), is_in(["INTERNAL_ERROR"]), exchange.describe())
    assert_that(exchange.body.get("correlationId"), equal_to(exchange.correlation_id), "the error names the correlation id")
    expect.no_internals(exchange)
    assert_that("simulated crash" in str(exchange.body), equal_to(False), f"the exception's text reached the caller:\n{exchange.describe()}")
