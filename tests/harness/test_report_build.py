"""``make report`` on real runs of the fixture features (tests/harness/fixtures/report_spec), built by
the Allure 3 libraries: the Behaviors tree, categories, environment, quality gates and their exit
status, load metrics, history across runs (flaky scenarios marked), retries, and the single file."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from hello_dd.harness.reporting.areas import AREA_EPICS
from hello_dd.harness.reporting.build import EXIT_GATES_FAILED, main
from hello_dd.harness.reporting.categories import ENVIRONMENT, PRODUCT_DEFECT, TEST_DEFECT
from hello_dd.harness.reporting.history import entry_ids
from hello_dd.harness.reporting.history import result_ids as history_ids_of
from hello_dd.harness.reporting.html_report import build_allure_report

from .browser import CHROMIUM, CHROMIUM_FLAGS, needs_chromium
from .report_support import CLEAN_RUN, needs_allure, report_test_results, run_fixture_spec, widget

pytestmark = needs_allure


@pytest.fixture(scope="module")
def full_run(tmp_path_factory) -> Path:
    """Every fixture scenario: passes, failures of each kind, skips of each kind."""
    results = tmp_path_factory.mktemp("full") / "allure-results"
    assert run_fixture_spec(results).returncode == 1
    return results


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory) -> Path:
    """The fixture scenarios that pass, and those this run's configuration cannot run."""
    results = tmp_path_factory.mktemp("clean") / "allure-results"
    done = run_fixture_spec(results, *CLEAN_RUN)
    assert done.returncode == 0, done.stdout + done.stderr
    return results


def _build(results: Path, tmp_path: Path, **options: Any):
    return build_allure_report(results, tmp_path / "allure-report", **options)


def _categories(report: Path) -> dict[str, set[str]]:
    """Category name -> the names of the test results under it."""
    tree = widget(report, "categories.json")
    nodes = tree["nodes"]

    def leaves(node_id: str) -> set[str]:
        node = nodes[node_id]
        if node["type"] == "tr":
            return {node["name"]}
        return set().union(*(leaves(child) for child in node.get("childrenIds", [])))

    return {nodes[root]["name"]: leaves(root) for root in tree["roots"]}


def test_failures_are_sorted_into_product_environment_and_test_defects(full_run, tmp_path):
    report = _build(full_run, tmp_path).index.parent
    assert _categories(report) == {
        PRODUCT_DEFECT: {"An order total is wrong"},
        ENVIRONMENT: {"The gateway cannot be reached"},
        TEST_DEFECT: {"A step has a bug", "A step nobody wrote"},
    }


def test_the_tree_reads_epic_feature_story(clean_run, tmp_path):
    report = _build(clean_run, tmp_path).index.parent
    tree = widget(report, "tree.json")
    groups = tree["groupsById"]

    def names(ids: list[str]) -> list[str]:
        return [groups[i]["name"] for i in ids]

    epics = {groups[i]["name"]: groups[i] for i in tree["root"]["groups"]}
    # Scenarios the run's tags left out are in the tree too, as skipped: the report shows the whole spec.
    assert set(epics) == {AREA_EPICS[tag] for tag in ("pattern-2", "health", "load", "errors")}
    checkout = epics[AREA_EPICS["pattern-2"]]
    assert names(checkout["groups"]) == ["Order checkout"]
    stories = names(groups[checkout["groups"][0]]["groups"])
    assert sorted(stories) == [
        "A confirmed order takes its stock",
        "Every catalogue product can be ordered",
        "Order checkout",
    ]


def test_the_environment_view_lists_the_run(clean_run, tmp_path):
    report = _build(clean_run, tmp_path).index.parent
    environment = {item["name"]: item["values"][0] for item in widget(report, "allure_environment.json")}
    assert environment["Stack"] == "fixture" and environment["Tracer"] == "otel"
    assert {"Gateway URL", "Gateway version", "Python", "behave", "Git commit", "Machine"} <= environment.keys()


def test_scenarios_the_configuration_cannot_run_pass_the_no_skip_gate(clean_run, tmp_path, capsys):
    assert main(["--results", str(clean_run), "--output", str(tmp_path / "out"), "--no-history"]) == 0
    out = capsys.readouterr().out
    assert "passed  no skipped scenario/maxSkippedSelected: 0 scenario(s) selected for this run did not run" in out
    assert "not counted as skipped: 2 scenario(s) this run's configuration cannot run" in out


def test_a_selected_scenario_that_did_not_run_fails_the_gate_unless_warn_only(full_run, tmp_path, capsys):
    arguments = ["--results", str(full_run), "--output", str(tmp_path / "out"), "--no-history"]
    assert main(arguments) == EXIT_GATES_FAILED
    captured = capsys.readouterr()
    assert (
        "FAILED  no skipped scenario/maxSkippedSelected: 1 scenario(s) selected for this run did not run"
        in captured.out
    )
    assert "quality gate(s) failed" in captured.err
    assert main([*arguments, "--warn-only"]) == 0
    assert "FAILED  no skipped scenario" in capsys.readouterr().out
    gates = widget(tmp_path / "out", "quality-gate.json")["default"]
    assert [gate["success"] for gate in gates if gate["rule"].endswith("maxSkippedSelected")] == [
        False
    ]  # in the report too


def test_the_load_thresholds_are_quality_gates_on_the_runs_figures(clean_run, tmp_path):
    built = _build(clean_run, tmp_path / "short")
    assert built.load_scenarios == ["Mixed shopping traffic for a short while"]
    load = "load: Mixed shopping traffic for a short while"
    assert {gate.rule: gate.success for gate in built.gates} == {
        "no skipped scenario/maxSkippedSelected": True,
        f"{load}/metricMax": True,
        f"{load}/metricBelow": True,
        f"{load}: answers that succeeded/metricMin": True,
        f"{load}: answers that came within 500 ms/metricMin": True,
    }
    metrics = {m["key"]: m["value"] for m in widget(built.index.parent, "metrics.json")["current"]}
    key = "load.mixed-shopping-traffic-for-a-short-while."
    assert (metrics[key + "p95_ms"], metrics[key + "error_rate_pct"], metrics[key + "check.under_500ms_pct"]) == (
        120,
        2,
        99,
    )
    assert metrics[key + "p95_ms.GET /api/v1/products/{id}"] == 120

    slow = tmp_path / "slow-results"
    assert run_fixture_spec(slow, "--tags=@load", "-D", "load_profile=slow").returncode == 0
    failed = {gate.rule: gate.message for gate in _build(slow, tmp_path / "slow").failed_gates}
    load = "load: A run slower than its thresholds"
    assert failed == {
        f"{load}/metricMax": "p95 latency 900 ms exceeds the allowed maximum 500 ms",
        f"{load}/metricBelow": "error rate 12 % is not below 10 %",
        f"{load}: answers that succeeded/metricMin": "answers that succeeded 88 % is below the required minimum 95 %",
        f"{load}: answers that came within 500 ms/metricMin": (
            "answers that came within 500 ms 60 % is below the required minimum 98 %"
        ),
    }


def _history_of(report: Path) -> dict[str, list[str]]:
    """Test name -> the statuses of its earlier results, as the report shows them."""
    return {tr["name"]: [item["status"] for item in tr.get("history", [])] for tr in report_test_results(report)}


@pytest.mark.slow
def test_the_history_keeps_every_run_once_and_marks_flaky_scenarios(tmp_path):
    history = tmp_path / "allure-history.jsonl"
    flaky = "The shop greets a shopper at the checkout"
    reports = []
    for number, fail in enumerate((flaky, "", flaky), start=1):
        results = tmp_path / f"run-{number}"
        run_fixture_spec(results, *CLEAN_RUN, env={"REPORT_FIXTURE_FAIL": fail})
        reports.append(build_allure_report(results, tmp_path / f"report-{number}", history_file=history))
    assert len(history.read_text().splitlines()) == 3

    second, third = (_history_of(report.index.parent) for report in reports[1:])
    assert second and all(len(statuses) == 1 for statuses in second.values())  # every scenario: the first run
    assert second[flaky] == ["failed"]
    assert third[flaky] == ["passed", "failed"]
    flags = {tr["name"]: tr["flaky"] for tr in report_test_results(reports[2].index.parent)}
    assert flags[flaky] is True and not any(flag for name, flag in flags.items() if name != flaky)
    earlier = widget(reports[2].index.parent, "metrics.json")["history"]
    assert [point["metrics"]["load.mixed-shopping-traffic-for-a-short-while.p95_ms"] for point in earlier] == [120, 120]

    rebuilt = build_allure_report(tmp_path / "run-3", tmp_path / "report-3", history_file=history)
    assert len(history.read_text().splitlines()) == 3  # a rebuild replaces its run's line
    assert rebuilt.history.earlier_runs == 2 and _history_of(rebuilt.index.parent)[flaky] == ["passed", "failed"]


@pytest.mark.slow
def test_the_history_keeps_the_last_runs_up_to_its_limit(tmp_path):
    history = tmp_path / "allure-history.jsonl"
    for number in range(3):
        results = tmp_path / f"run-{number}"
        assert run_fixture_spec(results, "--tags=@blocker").returncode == 0
        build_allure_report(results, tmp_path / "report", history_file=history, history_limit=2)
    runs = [history_ids_of(tmp_path / f"run-{number}") for number in range(3)]
    kept = [entry_ids(line) for line in history.read_text().splitlines()]
    assert [bool(line & runs[1]) for line in kept] == [True, False]  # the first run was dropped
    assert [bool(line & runs[2]) for line in kept] == [False, True]


def _attempts(report: Path, name: str) -> tuple[list[tuple[bool, str, int]], list[tuple[str, int]]]:
    """A scenario's results in the report (is it a retry, status, retries) and its entries in the tree."""
    results = [tr for tr in report_test_results(report) if tr["name"] == name]
    leaves = [leaf for leaf in widget(report, "tree.json")["leavesById"].values() if leaf["name"] == name]
    shown = sorted((tr["isRetry"], tr["status"], tr["retriesCount"]) for tr in results)
    return shown, [(leaf["status"], leaf["retriesCount"]) for leaf in leaves]


def test_behaves_retries_are_shown_as_retries_of_one_result(clean_run, tmp_path):
    report = _build(clean_run, tmp_path).index.parent
    shown, leaves = _attempts(report, "A check that fails once passes when behave retries it")
    assert shown == [(False, "passed", 1), (True, "failed", 0)]  # the last attempt is the result
    assert leaves == [("passed", 1)]  # one entry in the tree, marked as retried


def test_a_scenario_run_again_into_the_same_results_is_a_retry(tmp_path):
    results, name = tmp_path / "allure-results", "The shop greets a shopper at the checkout"
    run_fixture_spec(results, f"--name={name}", env={"REPORT_FIXTURE_FAIL": name})
    assert run_fixture_spec(results, f"--name={name}").returncode == 0  # as -D keep_results=true keeps them
    shown, leaves = _attempts(_build(results, tmp_path).index.parent, name)
    assert shown == [(False, "passed", 1), (True, "failed", 0)]
    assert leaves == [("passed", 1)]


@needs_chromium
def test_the_single_file_report_opens_from_disk(clean_run, tmp_path):
    built = _build(clean_run, tmp_path, single_file=True)
    assert [p.name for p in built.index.parent.iterdir()] == ["index.html"]
    done = subprocess.run(
        [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'c'}",
            "--virtual-time-budget=15000",
            "--dump-dom",
            built.index.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={"HOME": str(tmp_path)},
    )
    assert AREA_EPICS["pattern-2"] in done.stdout, done.stdout[-2000:]
