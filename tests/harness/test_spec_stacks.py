"""The run on several stacks side by side (hello_dd.harness.reporting.stacks): which features run where,
when a run stays on one stack, and how the reports each stack's behave wrote become one run's."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from behave.configuration import Configuration

from hello_dd.harness.load.profile import Thresholds
from hello_dd.harness.load.runner import Figures
from hello_dd.harness.reporting import closing_line
from hello_dd.harness.reporting.markdown_report import LoadRun, ScenarioOutcome
from hello_dd.harness.reporting.run_results import RESULTS_FILE, RunResults
from hello_dd.harness.reporting.runner import SpecRunner, moved_report
from hello_dd.harness.reporting.stacks import (
    FEATURE_SECONDS,
    TWO_STACKS,
    StackRun,
    _show_as_they_end,
    clear_reports,
    merge,
    narrows,
    plan,
    rerun_lines,
    splits,
    userdata,
    write_rerun,
)

FEATURES = sorted(Path("features").glob("*.feature"))


def names(lanes: list[list[Path]]) -> list[list[str]]:
    return [[feature.stem for feature in lane] for lane in lanes]


# -- the plan -----------------------------------------------------------------------------------------


def test_two_stacks_run_the_fixed_plan_and_every_feature_once():
    assert {f.stem for f in FEATURES} == set(FEATURE_SECONDS), "a new feature needs its measured seconds"
    assert sorted(sum(TWO_STACKS, ())) == sorted(FEATURE_SECONDS)
    assert names(plan(FEATURES, 2)) == [list(lane) for lane in TWO_STACKS]


def test_the_two_stacks_share_the_work_about_evenly():
    totals = [sum(FEATURE_SECONDS[name] for name in lane) for lane in TWO_STACKS]
    assert max(totals) - min(totals) < 5, totals


def test_the_load_run_comes_first_and_the_timed_features_share_its_stack():
    first, second = TWO_STACKS
    assert first[0] == "load"
    assert {"cascade", "resilience"} <= set(first)
    assert second[0] == "span_budget"


def test_a_feature_the_plan_does_not_name_goes_to_the_stack_with_least_work():
    lanes = names(plan([*FEATURES, Path("features/new_one.feature")], 2))
    lighter = min(range(2), key=lambda i: sum(FEATURE_SECONDS[n] for n in TWO_STACKS[i]))
    assert lanes[lighter][-1] == "new_one"
    assert "new_one" not in lanes[1 - lighter]


def test_one_stack_runs_everything_and_more_stacks_balance_the_longest_first():
    assert names(plan(FEATURES, 1)) == [sorted(FEATURE_SECONDS, key=lambda n: (-FEATURE_SECONDS[n], n))]
    three = plan(FEATURES, 3)
    assert len(three) == 3
    assert sorted(f.stem for lane in three for f in lane) == sorted(FEATURE_SECONDS)
    totals = [sum(FEATURE_SECONDS[f.stem] for f in lane) for lane in three]
    assert max(totals) - min(totals) <= max(FEATURE_SECONDS.values())


def test_stacks_without_a_feature_are_dropped_and_zero_stacks_refused():
    assert names(plan([Path("features/health.feature")], 2)) == [["health"]]
    with pytest.raises(ValueError):
        plan(FEATURES, 0)


@pytest.mark.parametrize(
    ("args", "narrowed"),
    [
        ([], False),
        (["-D", "tracer=ddtrace", "-Dload_profile=short", "--define=keep_results=true"], False),
        (["--tags=@pattern-2"], True),
        (["features/product_query.feature"], True),
        (["-D", "tracer=otel", "-n", "circuit"], True),
        (["--no-capture"], True),
        (["-D"], True),
    ],
)
def test_a_run_narrowed_by_anything_but_user_data_stays_on_one_stack(args, narrowed):
    assert narrows(args) is narrowed


@pytest.mark.parametrize(
    ("args", "split"),
    [
        ([], True),
        (["-D", "stack=local", "-D", "tracer=ddtrace"], True),
        (["-D", "stack=containers"], False),
        (["-D", "stack=external", "-D", "gateway_url=http://127.0.0.1:8000"], False),
        (["-D", "redis_url=redis://127.0.0.1:6379/0"], False),
        (["--tags=@pattern-2"], False),
    ],
)
def test_only_the_whole_run_on_embedded_stacks_that_share_nothing_is_split(args, split):
    assert splits(args) is split


def test_user_data_is_read_in_each_spelling_the_last_one_winning():
    args = ["-D", "reports_dir=out", "-Dtracer=ddtrace", "--define=keep_results=true", "-D", "reports_dir=x"]
    assert userdata(args) == {"reports_dir": "x", "tracer": "ddtrace", "keep_results": "true"}


# -- one stack's reports in a directory of its own ------------------------------------------------------


def test_reports_dir_moves_the_default_reports_only():
    assert moved_report("reports/rerun.txt", Path("reports/stacks/2")) == "reports/stacks/2/rerun.txt"
    assert moved_report("reports/allure-results", Path("out")) == "out/allure-results"
    assert moved_report("elsewhere/junit", Path("out")) == "elsewhere/junit"
    assert moved_report("/tmp/reports/junit", Path("out")) == "/tmp/reports/junit"


def test_the_runner_sends_behave_ini_reports_to_reports_dir():
    config = Configuration(["-D", "reports_dir=reports/stacks/1", "--dry-run"])
    SpecRunner(config)._move_reports()
    assert config.junit_directory == "reports/stacks/1/junit"
    assert config.outfiles == ["reports/stacks/1/allure-results", "reports/stacks/1/rerun.txt"]
    assert [o.name for o in config.outputs if o.name] == config.outfiles


def test_without_reports_dir_the_runner_moves_nothing():
    config = Configuration(["--dry-run"])
    SpecRunner(config)._move_reports()
    assert config.junit_directory == "reports/junit"
    assert config.outfiles == ["reports/allure-results", "reports/rerun.txt"]


# -- merging --------------------------------------------------------------------------------------------


def outcome(location: str, status: str = "passed", failure: str | None = None) -> ScenarioOutcome:
    return ScenarioOutcome("F", f"scenario at {location}", ("contract:p1-one-answer",), status, location, 0.1, failure)


LOAD = LoadRun(
    Figures("overall", 100, 0, 10.0, 9.0, 20.0, 30.0, 40.0, 50.0),
    {"answers that succeeded": 1.0},
    Thresholds(500, 0.1, (("answers that succeeded", 0.98),)),
)


def test_merged_results_read_as_one_run():
    first = RunResults([outcome("features/load.feature:15"), outcome("features/cascade.feature:9")], LOAD, "stack A")
    second = RunResults([outcome("features/async_reports.feature:17"), outcome("features/cascade.feature:30")])
    second.stack = "stack B"
    merged = RunResults.merged([first, second])
    assert [o.location for o in merged.outcomes] == [
        "features/async_reports.feature:17",
        "features/cascade.feature:9",
        "features/cascade.feature:30",
        "features/load.feature:15",
    ]
    assert merged.load == LOAD
    assert merged.stack == "2 stacks side by side: stack A; stack B"
    assert RunResults.merged([first]).stack == "stack A"


def test_results_are_written_and_read_back_the_same(tmp_path):
    results = RunResults([outcome("features/x.feature:3", "failed", "Then it broke\nbecause")], LOAD)
    written = results.write(tmp_path, [], stack="local processes")
    assert tmp_path / RESULTS_FILE in written
    assert RunResults.read(tmp_path) == results
    assert json.loads((tmp_path / RESULTS_FILE).read_text())["stack"] == "local processes"


def test_rerun_lists_the_failures_of_every_stack(tmp_path):
    one, two = tmp_path / "1.txt", tmp_path / "2.txt"
    one.write_text("# -- RERUN: 1 failing scenarios during last test run.\nfeatures/a.feature:3\n\n")
    two.write_text(
        "# -- RERUN: 2 failing scenarios\n# features/b.feature\nfeatures/b.feature:7\nfeatures/b.feature:9\n"
    )
    locations = rerun_lines([one, tmp_path / "absent.txt", two])
    assert locations == ["features/a.feature:3", "features/b.feature:7", "features/b.feature:9"]
    target = tmp_path / "rerun.txt"
    write_rerun(target, locations)
    assert [line for line in target.read_text().splitlines() if not line.startswith("#")] == locations
    write_rerun(target, [])
    assert not target.exists()


def junit(path: Path, passed: int, failed: int = 0, skipped: int = 0) -> None:
    cases = ["<testcase/>"] * passed + ["<testcase><failure/></testcase>"] * failed
    cases += ["<testcase><skipped/></testcase>"] * skipped
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<testsuite>{''.join(cases)}</testsuite>")


def stack_reports(directory: Path, feature: str, results: RunResults, *, failed: int = 0) -> None:
    junit(directory / "junit" / f"TESTS-features.{feature}.xml", 3, failed, 1)
    (directory / "allure-results").mkdir(parents=True)
    (directory / "allure-results" / f"{feature}-result.json").write_text("{}")
    (directory / "allure-results" / "environment.properties").write_text(f"Stack={directory.name}\n")
    (directory / "logs").mkdir()
    (directory / "logs" / "api-gateway.log").write_text(f"{directory.name}\n")
    (directory / "console.log").write_text(f"output of {directory.name}\n")
    if failed:
        (directory / "rerun.txt").write_text(f"# -- RERUN\nfeatures/{feature}.feature:5\n")
    results.write(directory, [], stack=f"local processes, logs in {directory / 'logs'}")


def test_merge_makes_the_reports_of_one_run(tmp_path, monkeypatch):
    monkeypatch.chdir(Path(__file__).parents[2])  # the contract, docs/contract.md
    reports = tmp_path / "reports"
    junit(reports / "junit" / "TESTS-features.stale.xml", 9)  # the previous run's
    (reports / "logs").mkdir(parents=True)
    write_rerun(reports / "rerun.txt", ["features/stale.feature:1"])
    clear_reports(reports)
    first, second = reports / "stacks" / "1", reports / "stacks" / "2"
    stack_reports(first, "load", RunResults([outcome("features/load.feature:15")], LOAD))
    stack_reports(
        second,
        "cascade",
        RunResults([outcome("features/cascade.feature:9", "failed", "Then it broke")]),
        failed=1,
    )

    assert merge([first, second], reports) == ["features/cascade.feature:5"]

    assert sorted(p.name for p in (reports / "junit").iterdir()) == [
        "TESTS-features.cascade.xml",
        "TESTS-features.load.xml",
    ]
    assert closing_line.totals(reports / "junit") == (6, 1, 2)
    allure = reports / "allure-results"
    assert {p.name for p in allure.iterdir()} == {"load-result.json", "cascade-result.json", "environment.properties"}
    assert (allure / "environment.properties").read_text() == "Stack=1\n"  # the first stack's
    assert (reports / "logs" / "stack-1" / "api-gateway.log").read_text() == "1\n"
    assert (reports / "logs" / "stack-2" / "console.log").read_text() == "output of 2\n"
    assert (reports / "rerun.txt").read_text().splitlines()[1:] == ["features/cascade.feature:5"]
    merged = RunResults.read(reports)
    assert [o.location for o in merged.outcomes] == ["features/cascade.feature:9", "features/load.feature:15"]
    assert merged.load == LOAD
    assert f"logs in {reports / 'logs' / 'stack-2'}" in merged.stack
    report = (reports / "test_report.md").read_text()
    assert "- Failed: 1" in report and "Then it broke" in report
    assert "features/cascade.feature:9" in (reports / "spec-map.md").read_text()


# -- the console ----------------------------------------------------------------------------------------


def test_the_other_stacks_output_follows_the_first_ones_never_interleaved(tmp_path, capfd):
    first = StackRun(1, [Path("features/load.feature")], tmp_path / "1")
    second = StackRun(2, [Path("features/health.feature")], tmp_path / "2")
    second.reports.mkdir()
    script = "import sys, time; [(print(line, flush=True), time.sleep(0.05)) for line in sys.argv[1:]]"
    first.process = subprocess.Popen([sys.executable, "-c", script, "one-a", "one-b", "one-c"])
    with second.console.open("wb") as console:
        second.process = subprocess.Popen([sys.executable, "-c", script, "two-a", "two-b"], stdout=console)
    _show_as_they_end([first, second], time.monotonic())
    lines = [line for line in capfd.readouterr().out.splitlines() if line]
    assert lines == [
        "one-a",
        "one-b",
        "one-c",
        f"===== {second.describe()} (its output, now that it has ended) =====",
        "two-a",
        "two-b",
    ]
    assert first.seconds is not None and second.seconds is not None
    assert (first.status, second.status) == (0, 0)
    assert StackRun(3, [], tmp_path / "3").status == 2  # never started
