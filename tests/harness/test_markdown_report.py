"""reports/test_report.md: the contract's report template filled in from scenario outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from hello_dd.harness.load.profile import Thresholds
from hello_dd.harness.load.runner import Figures
from hello_dd.harness.reporting.markdown_report import (
    CHECKLISTS,
    LoadRun,
    ScenarioOutcome,
    render_test_report,
    write_test_report,
)

WHEN = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
ALL_TAGS = sorted({tag for items in CHECKLISTS.values() for tags in items.values() for tag in tags})
LIMITS = Thresholds(500, 0.10, (("answers that succeeded", 0.90), ("answers that came within 500 ms", 0.95)))
SHARES = {"answers that succeeded": 0.9975, "answers that came within 500 ms": 0.999}


def c(*ids):
    """Scenario tags naming contract items."""
    return [f"contract:{i}" for i in ids]


def load_run(p95_ms=41.04, error_rate=0.0025, shares=SHARES, requests=12000):
    figures = Figures("overall", requests, round(requests * error_rate), 21.26, 30, p95_ms, 88.5, 120, 99.94)
    return LoadRun(figures, shares, LIMITS)


GOOD_LOAD = load_run()


def outcome(tags, status="passed", *, scenario="A scenario", feature="A feature", line=3, failure=None):
    return ScenarioOutcome(
        feature=feature,
        scenario=scenario,
        tags=tuple(tags),
        status=status,
        location=f"features/a.feature:{line}",
        failure=failure,
    )


def everything_passing():
    return [outcome([tag], scenario=f"Scenario for {tag}", line=n) for n, tag in enumerate(ALL_TAGS, start=2)]


def render(outcomes, load=None, stack="local"):
    return render_test_report(outcomes, load, generated_at=WHEN, stack=stack)


def section(report: str, title: str) -> list[str]:
    """The non-empty lines under '## title' up to the next heading."""
    lines = report.splitlines()
    start = lines.index(f"## {title}") + 1
    body = []
    for line in lines[start:]:
        if line.startswith("## "):
            break
        if line.strip():
            body.append(line)
    return body


def checklist_line(report: str, title: str, item: str) -> str:
    matches = [line for line in section(report, title) if line[6:].startswith(item)]
    assert len(matches) == 1, (item, section(report, title))
    return matches[0]


# -- template ------------------------------------------------------------------------------------


def test_the_report_follows_the_contract_template_in_order():
    report = render(everything_passing(), GOOD_LOAD)
    headings = [line for line in report.splitlines() if line.startswith("#")]
    assert headings == [
        "# Integration Test Report",
        "## Test Summary",
        "## Request Flow Patterns",
        "## Distributed Tracing",
        "## Performance Results",
        "## Issues Found",
        "## Recommendations",
        "## Key Verification Points",
    ]
    items = [line[6:].split(" — ")[0] for line in section(report, "Request Flow Patterns")]
    assert items == [
        "Simple Product Query",
        "Order Checkout Flow",
        "Bulk Operations",
        "Async Processing",
        "Circuit Breaker",
    ]
    items = [line[6:].split(" — ")[0] for line in section(report, "Distributed Tracing")]
    assert items == ["Correlation ID propagation", "Error propagation", "Timeout handling", "Retry behavior"]
    assert len(section(report, "Key Verification Points")) == 9


def test_the_header_says_when_in_utc_and_against_which_stack():
    other_zone = WHEN.astimezone(timezone(timedelta(hours=2)))
    report = render_test_report([], generated_at=other_zone, stack="external (http://gw:8000)")
    assert "- Generated: 2025-03-04 05:06:07 UTC" in report
    assert "- Stack: external (http://gw:8000)" in report


def test_a_naive_timestamp_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        render_test_report([], generated_at=datetime(2025, 1, 1), stack="local")


def test_the_summary_counts_each_status():
    outcomes = [
        outcome(c("p1-one-answer")),
        outcome(c("p1-one-answer")),
        outcome(c("p2-confirmed"), "failed", failure="boom"),
        outcome(c("p2-no-oversell"), "skipped"),
        outcome(c("p2-no-oversell"), "untested"),
    ]
    assert section(render(outcomes), "Test Summary") == [
        "- Total test cases: 5",
        "- Passed: 2",
        "- Failed: 1",
        "- Skipped: 2 (1 of them never started)",
    ]


def test_an_unknown_status_is_refused():
    with pytest.raises(ValueError, match="'error' is not one of"):
        outcome(c("p1-one-answer"), "error")


# -- ticking rules -------------------------------------------------------------------------------


def test_every_item_is_ticked_when_everything_ran_and_passed():
    report = render(everything_passing(), GOOD_LOAD)
    for title in CHECKLISTS:
        assert all(
            line.startswith("- [x] ") and " — proved by features/a.feature:" in line for line in section(report, title)
        ), title


def test_a_ticked_item_names_the_scenarios_behind_it():
    p1 = c("p1-one-answer", "p1-agrees", "p1-parallel", "p1-not-found")
    report = render([outcome(p1[:2], line=12), outcome(p1[2:], line=40), outcome(p1[:1], line=12)])
    assert checklist_line(report, "Request Flow Patterns", "Simple Product Query") == (
        "- [x] Simple Product Query — proved by features/a.feature:12, features/a.feature:40"
    )
    report = render([outcome(c("corr-echoed", "corr-everywhere"), line=7)])
    assert checklist_line(report, "Distributed Tracing", "Correlation ID propagation") == (
        "- [x] Correlation ID propagation — proved by features/a.feature:7"
    )


def test_one_failure_unticks_the_item_and_counts_failed_of_ran():
    checkout = c("p2-confirmed", "p2-total", "p2-sequence", "p2-insufficient", "p2-compensation")
    outcomes = [
        outcome(checkout),
        outcome(checkout, "failed", failure="stock leaked"),
        outcome(checkout),
        outcome(checkout, "skipped"),  # did not run: counts in neither n nor m
    ]
    report = render(outcomes)
    assert checklist_line(report, "Request Flow Patterns", "Order Checkout Flow") == (
        "- [ ] Order Checkout Flow — FAILED (1 of 3)"
    )


def test_an_item_whose_scenarios_were_only_skipped_is_not_covered():
    circuit = c("p5-circuit-opens", "p5-circuit-recovers")
    report = render([outcome(circuit, "skipped"), outcome(circuit, "untested")])
    assert checklist_line(report, "Request Flow Patterns", "Circuit Breaker") == (
        "- [ ] Circuit Breaker — not covered by this run"
    )
    assert checklist_line(report, "Key Verification Points", "Circuit breakers activate appropriately") == (
        "- [ ] Circuit breakers activate appropriately — not covered by this run"
    )


def test_an_empty_run_covers_nothing():
    report = render([])
    for title in CHECKLISTS:
        assert all(
            line.startswith("- [ ] ") and line.endswith(" — not covered by this run") for line in section(report, title)
        )


def test_tags_written_with_an_at_sign_still_count():
    report = render([outcome(["@" + tag for tag in c("p3-one-result-each", "p3-unknown", "p3-limit")])])
    assert checklist_line(report, "Request Flow Patterns", "Bulk Operations").startswith("- [x] Bulk Operations")


def test_a_point_with_several_items_needs_all_of_them_covered_and_passing():
    items = c("p1-one-answer", "p2-confirmed", "p3-one-result-each", "p4-accepted", "p5-failure-reported")
    point = "All request patterns work correctly"

    report = render([outcome([tag]) for tag in items])
    assert checklist_line(report, "Key Verification Points", point).startswith(f"- [x] {point} — proved by")

    report = render([outcome([tag]) for tag in items[:3]])
    assert checklist_line(report, "Key Verification Points", point) == (
        f"- [ ] {point} — @contract:p4-accepted, @contract:p5-failure-reported not covered by this run"
    )

    report = render([outcome([tag]) for tag in items] + [outcome(items[3:4], "failed", failure="x")])
    assert checklist_line(report, "Key Verification Points", point) == f"- [ ] {point} — FAILED (1 of 6)"


def test_key_points_follow_their_items():
    for point, items in CHECKLISTS["Key Verification Points"].items():
        report = render([outcome(list(items))], GOOD_LOAD)
        assert checklist_line(report, "Key Verification Points", point).startswith(f"- [x] {point}"), point


def test_the_performance_point_is_not_ticked_when_the_figures_break_the_thresholds():
    slow = load_run(
        p95_ms=612.0,
        error_rate=0.125,
        shares={"answers that succeeded": 0.875, "answers that came within 500 ms": 0.96},
    )
    report = render([outcome(c("load-thresholds", "load-checks"))], slow)
    assert checklist_line(report, "Key Verification Points", "Performance meets requirements") == (
        "- [ ] Performance meets requirements — over the load thresholds: "
        "p95 latency 612.0 ms is not below 500 ms, error rate 12.50% is not below 10%, answers that succeeded: 87.50%, below 90%"
    )


# -- performance ---------------------------------------------------------------------------------


def test_performance_figures_come_from_the_load_run():
    report = render([outcome(c("load-thresholds"))], GOOD_LOAD)
    assert section(report, "Performance Results") == [
        "- Average latency: 21.3ms",
        "- P95 latency: 41.0ms (requirement: at most 500ms)",
        "- P99 latency: 88.5ms",
        "- Error rate: 0.25% (requirement: under 10%)",
        "- Throughput: 99.9 req/sec",
        "- Requests measured: 12000",
        "- Checks, answers that succeeded: 99.75% (requirement: at least 90%)",
        "- Checks, answers that came within 500 ms: 99.90% (requirement: at least 95%)",
    ]


def test_performance_without_a_load_run_says_not_measured():
    report = render([outcome(c("p1-one-answer")), outcome(c("load-thresholds"), "skipped")])
    assert section(report, "Performance Results") == [
        f"- {label}: not measured: no load scenario ran in this run"
        for label in ("Average latency", "P95 latency", "P99 latency", "Error rate", "Throughput")
    ]
    assert "XX" not in report


def test_a_load_run_without_figures_is_not_called_absent():
    report = render([outcome(c("load-thresholds"))])
    assert all(
        line.endswith("not measured: the load scenario that ran recorded no figures")
        for line in section(report, "Performance Results")
    )


# -- issues --------------------------------------------------------------------------------------


def test_no_failure_means_no_issue():
    assert section(render(everything_passing()), "Issues Found") == ["None: every scenario that ran passed."]


def test_every_failed_scenario_is_listed_with_its_message():
    failure = (
        "Then the order is confirmed\n"
        "\n"
        "Expected: a dictionary containing {'status': 'confirmed'}\n"
        "     but: value for 'status' was 'rejected'\n"
    )
    outcomes = [
        outcome(c("p1-one-answer")),
        outcome(
            c("p2-confirmed"),
            "failed",
            feature="Order checkout",
            scenario="A confirmed order",
            line=12,
            failure=failure,
        ),
        outcome(
            c("p3-limit"),
            "failed",
            feature="Bulk check",
            scenario="Chunks are merged",
            line=30,
            failure="\n  only line  \n",
        ),
        outcome(c("p4-accepted"), "failed", feature="Reports", scenario="A report completes", line=7, failure=None),
    ]
    report = render(outcomes)
    lines = report.splitlines()
    start = lines.index("## Issues Found") + 1
    end = lines.index("## Recommendations")
    assert lines[start:end] == [
        "1. Order checkout › A confirmed order (features/a.feature:12): Then the order is confirmed",
        "   ```text",
        "   Expected: a dictionary containing {'status': 'confirmed'}",
        "        but: value for 'status' was 'rejected'",
        "   ```",
        "2. Bulk check › Chunks are merged (features/a.feature:30): only line",
        "3. Reports › A report completes (features/a.feature:7): failed without a message",
        "",
    ]


def test_a_failure_containing_a_code_fence_does_not_break_the_block():
    outcomes = [outcome(c("p1-one-answer"), "failed", failure="first\nbody with ```fence``` inside")]
    report = render(outcomes)
    assert "   ````text\n   body with ```fence``` inside\n   ````" in report


def test_skipped_scenarios_are_not_issues():
    assert section(render([outcome(c("p2-no-oversell"), "skipped")]), "Issues Found") == [
        "None: every scenario that ran passed."
    ]


# -- recommendations -----------------------------------------------------------------------------


def test_nothing_to_recommend_after_a_complete_green_run():
    report = render(everything_passing(), GOOD_LOAD)
    assert section(report, "Recommendations") == [
        "- No recommendation arises from this run: every checklist item ran and passed "
        "and the load figures meet their thresholds."
    ]


def test_uncovered_areas_are_recommended_by_area_with_their_items():
    left_out = {"contract:obs-metrics", "contract:obs-counts-exact", "contract:trace-retries"}
    covered = [outcome([tag]) for tag in ALL_TAGS if tag not in left_out]
    recommendations = section(render(covered, GOOD_LOAD), "Recommendations")
    assert recommendations == [
        "- Resilience enhancements: not covered by this run: Retry behavior (partly: @contract:trace-retries); "
        "run the scenarios with those tags to verify them.",
        "- Observability gaps: not covered by this run: Metrics are exposed correctly "
        "(@contract:obs-metrics, @contract:obs-counts-exact); run the scenarios with those tags to verify them.",
    ]


def test_failed_areas_are_recommended_once():
    outcomes = everything_passing() + [outcome(c("p5-circuit-opens"), "failed", failure="breaker stayed closed")]
    recommendations = section(render(outcomes, GOOD_LOAD), "Recommendations")
    assert recommendations == [
        "- Resilience enhancements: failing in this run: Circuit Breaker (1 of 3 scenarios failed); see Issues Found."
    ]


def test_slow_or_failing_load_is_recommended_against_its_thresholds():
    outcomes = everything_passing()
    slow = load_run(p95_ms=500.1, error_rate=0.1001)
    recommendations = section(render(outcomes, slow), "Recommendations")
    assert recommendations[0].startswith(
        "- Performance improvements: under load, p95 latency 500.1 ms is not below 500 ms"
    )
    assert recommendations[1].startswith("- Performance improvements: under load, error rate 10.01% is not below 10%")
    assert len(recommendations) == 2

    just_under = load_run(p95_ms=499.9, error_rate=0.0999)  # p95 must be under 500 ms
    assert section(render(outcomes, just_under), "Recommendations")[0].startswith("- No recommendation")


def test_without_a_load_run_performance_is_recommended_as_not_covered():
    outcomes = [o for o in everything_passing() if not any(t.startswith("contract:load-") for t in o.tags)]
    assert section(render(outcomes), "Recommendations") == [
        "- Performance improvements: not covered by this run: Performance meets requirements "
        "(@contract:load-thresholds, @contract:load-checks); run the scenarios with those tags to verify them."
    ]


# -- writing -------------------------------------------------------------------------------------


def test_write_creates_the_directories_and_writes_the_rendered_report(tmp_path):
    target = tmp_path / "reports" / "nested" / "test_report.md"
    written = write_test_report(target, everything_passing(), GOOD_LOAD, stack="local")
    assert written == target
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Integration Test Report\n")
    assert "- Stack: local" in text
    assert "›" not in text  # no failures in this run
    assert "Generated: " in text and " UTC" in text
