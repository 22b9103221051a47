"""Writes ``reports/test_report.md``: the integration test report template the contract names
(docs/contract.md, item report-template) plus its key verification points, filled in from the
scenarios that really ran.

Every checklist line is decided by contract items (see ``CHECKLISTS``): the scenarios carrying a
``@contract:<id>`` tag are its evidence. A line is ticked only when each of its items was proved by at
least one scenario that ran and every scenario proving them passed; a ticked line names those
scenarios (``feature:line``). Otherwise it stays unticked and says why (failed, or not covered by this
run). Skipped and untested scenarios never count as evidence.

Everything here is a pure function of its inputs except ``write_test_report``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hello_dd.harness.load.profile import Thresholds
from hello_dd.harness.load.runner import Figures

STATUSES = ("passed", "failed", "skipped", "untested")
RAN = ("passed", "failed")


def _items(*ids: str) -> tuple[str, ...]:
    return tuple(f"contract:{i}" for i in ids)


# The checklists of the report, section by section: each line of the template and the contract
# items whose scenarios give evidence for it (as the scenario tags that name them). A line needs every
# one of its items covered and passing.
CHECKLISTS: dict[str, dict[str, tuple[str, ...]]] = {
    "Request Flow Patterns": {
        "Simple Product Query": _items("p1-one-answer", "p1-agrees", "p1-parallel", "p1-not-found"),
        "Order Checkout Flow": _items("p2-confirmed", "p2-total", "p2-sequence", "p2-insufficient", "p2-compensation"),
        "Bulk Operations": _items("p3-one-result-each", "p3-unknown", "p3-limit"),
        "Async Processing": _items("p4-accepted", "p4-failed"),
        "Circuit Breaker": _items("p5-circuit-opens", "p5-circuit-recovers"),
    },
    "Distributed Tracing": {
        "Correlation ID propagation": _items("corr-echoed", "corr-everywhere"),
        "Error propagation": _items("p1-not-found", "trace-errors", "err-shape"),
        "Timeout handling": _items("p5-timeout", "res-latency"),
        "Retry behavior": _items("p5-failure-reported", "res-retries", "trace-retries"),
    },
    "Key Verification Points": {
        "All request patterns work correctly": _items(
            "p1-one-answer", "p2-confirmed", "p3-one-result-each", "p4-accepted", "p5-failure-reported"
        ),
        "Services handle failures gracefully": _items(
            "p1-without-price", "p2-compensation", "p3-partial", "res-service-stopped"
        ),
        "Correlation IDs propagate properly": _items("corr-everywhere", "trace-correlation"),
        "Performance meets requirements": _items("load-thresholds", "load-checks"),
        "Error messages are informative": _items("err-shape", "err-bad-input"),
        "Timeouts and retries work as expected": _items("p5-timeout", "p5-failure-reported", "res-retries"),
        "Circuit breakers activate appropriately": _items("p5-circuit-opens", "p5-circuit-recovers"),
        "Logs are structured and correlated": _items("obs-logs-structured", "obs-logs-trace", "corr-everywhere"),
        "Metrics are exposed correctly": _items("obs-metrics", "obs-counts-exact"),
    },
}

# Which of the template's recommendation headings a checklist line belongs to (by its first item's prefix).
AREA_OF_PREFIX: dict[str, str] = {
    "contract:p1-": "Request flow fixes",
    "contract:p2-": "Request flow fixes",
    "contract:p3-": "Request flow fixes",
    "contract:p4-": "Request flow fixes",
    "contract:p5-": "Resilience enhancements",
    "contract:res-": "Resilience enhancements",
    "contract:err-": "Resilience enhancements",
    "contract:load-": "Performance improvements",
    "contract:corr-": "Observability gaps",
    "contract:obs-": "Observability gaps",
    "contract:trace-": "Observability gaps",
}
AREAS = ("Performance improvements", "Resilience enhancements", "Observability gaps", "Request flow fixes")

LOAD_TAG = "contract:load-thresholds"


@dataclass(frozen=True)
class ScenarioOutcome:
    """One scenario (or one outline example row) as it ended in the run."""

    feature: str
    scenario: str
    tags: tuple[str, ...]  # without '@'
    status: str  # "passed" | "failed" | "skipped" | "untested"
    location: str  # "features/x.feature:12"
    duration_s: float = 0.0
    failure: str | None = None  # the assertion message, may be multi-line

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"{self.location}: status {self.status!r} is not one of {', '.join(STATUSES)}")

    @property
    def ran(self) -> bool:
        return self.status in RAN

    def carries(self, tag: str) -> bool:
        return tag in {t.lstrip("@") for t in self.tags}


@dataclass(frozen=True)
class LoadRun:
    """What a load scenario measured, and the thresholds it set itself."""

    figures: Figures  # overall
    check_shares: dict[str, float]  # check -> share of answers (0..1) that passed it
    thresholds: Thresholds

    def breaches(self) -> tuple[str, ...]:
        return tuple(self.thresholds.breaches(self.figures.p95_ms, self.figures.error_rate, self.check_shares))


@dataclass(frozen=True)
class ItemVerdict:
    """How one checklist line came out of the run."""

    name: str
    tags: tuple[str, ...]
    ran: int  # scenarios that ran and carry any of the tags
    failed: int
    uncovered: tuple[str, ...]  # tags no scenario that ran carried
    breaches: tuple[str, ...] = ()  # load thresholds the measured figures broke (load lines only)
    scenarios: tuple[str, ...] = ()  # where the scenarios that ran for it are (feature:line)

    @property
    def ticked(self) -> bool:
        return self.ran > 0 and self.failed == 0 and not self.uncovered and not self.breaches

    @property
    def area(self) -> str:
        return next((area for prefix, area in AREA_OF_PREFIX.items() if self.tags[0].startswith(prefix)), "Other")

    def line(self) -> str:
        if self.ticked:
            return f"- [x] {self.name} — proved by {', '.join(self.scenarios)}"
        if self.ran == 0:
            return f"- [ ] {self.name} — not covered by this run"
        notes = []
        if self.failed:
            notes.append(f"FAILED ({self.failed} of {self.ran})")
        if self.uncovered:
            notes.append(f"{_tag_list(self.uncovered)} not covered by this run")
        if self.breaches:
            notes.append("over the load thresholds: " + ", ".join(self.breaches))
        return f"- [ ] {self.name} — " + "; ".join(notes)


def judge(
    name: str, tags: Sequence[str], outcomes: Sequence[ScenarioOutcome], load: LoadRun | None = None
) -> ItemVerdict:
    """The verdict of one checklist line whose evidence is the scenarios carrying ``tags``; a line
    about the load run is also held to the load scenario's thresholds when figures were measured."""
    relevant = [o for o in outcomes if o.ran and any(o.carries(tag) for tag in tags)]
    uncovered = tuple(tag for tag in tags if not any(o.carries(tag) for o in relevant))
    return ItemVerdict(
        name=name,
        tags=tuple(tags),
        ran=len(relevant),
        failed=sum(o.status == "failed" for o in relevant),
        uncovered=uncovered,
        breaches=load.breaches() if load is not None and LOAD_TAG in tags else (),
        scenarios=tuple(dict.fromkeys(o.location for o in relevant)),
    )


def judge_checklists(outcomes: Sequence[ScenarioOutcome], load: LoadRun | None = None) -> dict[str, list[ItemVerdict]]:
    return {
        section: [judge(name, tags, outcomes, load) for name, tags in items.items()]
        for section, items in CHECKLISTS.items()
    }


def render_test_report(
    outcomes: Sequence[ScenarioOutcome],
    load: LoadRun | None = None,
    *,
    generated_at: datetime,
    stack: str,
) -> str:
    """The whole report as Markdown."""
    if generated_at.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware (the report states UTC)")
    verdicts = judge_checklists(outcomes, load)
    when = generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    parts = [
        "# Integration Test Report",
        "",
        f"- Generated: {when}",
        f"- Stack: {stack}",
        "",
        *_summary(outcomes),
        "",
        *_checklist("Request Flow Patterns", verdicts),
        "",
        *_checklist("Distributed Tracing", verdicts),
        "",
        *_performance(outcomes, load),
        "",
        *_issues(outcomes),
        "",
        *_recommendations(verdicts, load),
        "",
        *_checklist("Key Verification Points", verdicts),
    ]
    return "\n".join(parts) + "\n"


def write_test_report(
    path: Path,
    outcomes: Sequence[ScenarioOutcome],
    load: LoadRun | None = None,
    *,
    stack: str,
) -> Path:
    """Renders the report as of now and writes it to ``path`` (parent directories created)."""
    path = Path(path)
    text = render_test_report(outcomes, load, generated_at=datetime.now(UTC), stack=stack)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- sections ------------------------------------------------------------------------------------


def _summary(outcomes: Sequence[ScenarioOutcome]) -> list[str]:
    count = {status: sum(o.status == status for o in outcomes) for status in STATUSES}
    skipped = f"- Skipped: {count['skipped'] + count['untested']}"
    if count["untested"]:
        skipped += f" ({count['untested']} of them never started)"
    return [
        "## Test Summary",
        f"- Total test cases: {len(outcomes)}",
        f"- Passed: {count['passed']}",
        f"- Failed: {count['failed']}",
        skipped,
    ]


def _checklist(section: str, verdicts: dict[str, list[ItemVerdict]]) -> list[str]:
    return [f"## {section}", *(verdict.line() for verdict in verdicts[section])]


def _performance(outcomes: Sequence[ScenarioOutcome], load: LoadRun | None) -> list[str]:
    labels = ("Average latency", "P95 latency", "P99 latency", "Error rate", "Throughput")
    if load is None:
        if any(o.ran and o.carries(LOAD_TAG) for o in outcomes):
            reason = "not measured: the load scenario that ran recorded no figures"
        else:
            reason = "not measured: no load scenario ran in this run"
        return ["## Performance Results", *(f"- {label}: {reason}" for label in labels)]
    figures, limits = load.figures, load.thresholds
    return [
        "## Performance Results",
        f"- Average latency: {figures.average_ms:.1f}ms",
        f"- P95 latency: {figures.p95_ms:.1f}ms (requirement: at most {limits.p95_ms:g}ms)",
        f"- P99 latency: {figures.p99_ms:.1f}ms",
        f"- Error rate: {_percent(figures.error_rate)} (requirement: under {_limit_percent(limits.error_rate)})",
        f"- Throughput: {figures.throughput_rps:.1f} req/sec",
        f"- Requests measured: {figures.requests}",
        *(
            f"- Checks, {name}: {_percent(load.check_shares.get(name, 0.0))} (requirement: at least {_limit_percent(least)})"
            for name, least in limits.checks
        ),
    ]


def _issues(outcomes: Sequence[ScenarioOutcome]) -> list[str]:
    failed = [o for o in outcomes if o.status == "failed"]
    if not failed:
        return ["## Issues Found", "None: every scenario that ran passed."]
    lines = ["## Issues Found"]
    for number, outcome in enumerate(failed, start=1):
        first, rest = _split_failure(outcome.failure)
        lines.append(f"{number}. {outcome.feature} › {outcome.scenario} ({outcome.location}): {first}")
        if rest:
            fence = "`" * max(3, _longest_backtick_run(rest) + 1)
            indent = " " * (len(str(number)) + 2)  # continues the list item
            lines.append(f"{indent}{fence}text")
            lines.extend(f"{indent}{line}" if line else "" for line in rest.splitlines())
            lines.append(f"{indent}{fence}")
    return lines


def _recommendations(verdicts: dict[str, list[ItemVerdict]], load: LoadRun | None) -> list[str]:
    """Derived from the run: thresholds the load figures broke, failing areas, areas not covered."""
    findings: dict[str, list[str]] = {area: [] for area in AREAS}
    if load is not None:
        for breach in load.breaches():
            findings["Performance improvements"].append(
                f"under load, {breach}; find where the time goes on the request path, and look at the failed requests in the logs."
            )
    failing: dict[str, list[str]] = {}
    uncovered: dict[str, list[str]] = {}
    for verdict in _distinct(v for section in verdicts.values() for v in section):
        if verdict.failed:
            failing.setdefault(verdict.area, []).append(
                f"{verdict.name} ({verdict.failed} of {verdict.ran} scenarios failed)"
            )
        if verdict.ran == 0:
            uncovered.setdefault(verdict.area, []).append(f"{verdict.name} ({_tag_list(verdict.tags)})")
        elif verdict.uncovered:
            uncovered.setdefault(verdict.area, []).append(f"{verdict.name} (partly: {_tag_list(verdict.uncovered)})")
    for area, items in failing.items():
        findings.setdefault(area, []).append(f"failing in this run: {', '.join(items)}; see Issues Found.")
    for area, items in uncovered.items():
        findings.setdefault(area, []).append(
            f"not covered by this run: {', '.join(items)}; run the scenarios with those tags to verify them."
        )
    lines = [f"- {area}: {finding}" for area, area_findings in findings.items() for finding in area_findings]
    if not lines:
        lines.append(
            "- No recommendation arises from this run: every checklist item ran and passed"
            + (" and the load figures meet their thresholds." if load is not None else ".")
        )
    return ["## Recommendations", *lines]


# -- helpers -------------------------------------------------------------------------------------


def _distinct(verdicts: Iterable[ItemVerdict]) -> list[ItemVerdict]:
    """Drops a line whose tags are all judged by earlier lines already (e.g. "All request patterns
    work correctly" after the five pattern lines), so a recommendation never says the same thing twice."""
    seen: set[str] = set()
    kept = []
    for verdict in verdicts:
        if set(verdict.tags) <= seen:
            continue
        seen.update(verdict.tags)
        kept.append(verdict)
    return kept


def _split_failure(failure: str | None) -> tuple[str, str]:
    """The failure's first non-empty line, and the rest (dedented as a block, trailing space dropped)."""
    lines = (failure or "").strip("\n").splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return "failed without a message", ""
    rest = "\n".join(line.rstrip() for line in lines[1:]).strip("\n")
    return lines[0].strip(), rest


def _longest_backtick_run(text: str) -> int:
    longest = current = 0
    for char in text:
        current = current + 1 if char == "`" else 0
        longest = max(longest, current)
    return longest


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.2f}%"


def _limit_percent(fraction: float) -> str:
    return f"{fraction * 100:g}%"


def _tag_list(tags: Iterable[str]) -> str:
    return ", ".join(f"@{tag}" for tag in tags)
