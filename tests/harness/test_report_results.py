"""The Allure results the project's formatter writes, from a real behave run of the fixture features
(tests/harness/fixtures/report_spec): labels that make the Behaviors view, severities, links, the
reason a scenario did not run, evidence names, and the environment."""

from __future__ import annotations

import subprocess

import pytest

from hello_dd.harness.reporting.areas import AREA_EPICS
from hello_dd.harness.reporting.selection import NOT_RUNNABLE, NOT_SELECTED, SELECTED, SELECTION_LABEL

from .report_support import by_name, labels, read_results, run_fixture_spec


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict[str, dict]]:
    results = tmp_path_factory.mktemp("results")
    done = run_fixture_spec(results)
    assert done.returncode == 1, done.stdout + done.stderr  # the failures feature fails on purpose
    return done, by_name(read_results(results))


@pytest.fixture(scope="module")
def results(run) -> dict[str, dict]:
    return run[1]


def test_every_result_has_epic_feature_story_and_a_link(results):
    assert len(results) == 15
    for name, result in results.items():
        found = labels(result)
        assert {"epic", "feature", "story", "suite", "severity"} <= found.keys(), name
        assert result["links"], name


def test_the_epic_is_the_features_area_the_story_its_rule(results):
    ordered = labels(results["A customer orders two units of product 123"])
    assert ordered["epic"] == AREA_EPICS["pattern-2"]
    assert ordered["feature"] == "Order checkout"
    assert ordered["story"] == ordered["subSuite"] == "A confirmed order takes its stock"
    assert ordered["suite"] == "features/checkout.feature"
    outline = labels(results["Product 456 can be ordered -- @1.2 "])
    assert outline["story"] == "Every catalogue product can be ordered"  # an outline keeps its rule
    outside = labels(results["The shop greets a shopper at the checkout"])
    assert outside["story"] == "Order checkout" and "subSuite" not in outside  # no rule: the feature
    assert labels(results["The gateway reports it is healthy"])["epic"] == AREA_EPICS["health"]


def test_the_nearest_severity_tag_wins_and_normal_is_the_default(results):
    severity = {name: labels(result)["severity"] for name, result in results.items()}
    assert severity["A customer orders two units of product 123"] == "critical"  # the feature's tag
    assert severity["The receipt thanks the customer"] == "minor"  # its own tag over the feature's
    assert severity["Product 123 can be ordered -- @1.1 "] == "trivial"  # the outline's tag
    assert severity["The gateway reports it is healthy"] == "blocker"
    assert severity["An order total is wrong"] == "normal"
    assert len(set(severity.values())) == 5


def test_contract_tags_link_to_their_items_named_after_their_statements(results):
    links = {link["name"]: link["url"] for link in results["A customer orders two units of product 123"]["links"]}
    assert links == {
        "Contract checkout-stock: A confirmed order takes its units out of the available stock": (
            "../../docs/contract.md#checkout-stock"
        ),
        "Contract checkout-total: A customer pays the priced lines minus discounts plus tax": (
            "../../docs/contract.md#checkout-total"
        ),
        "Glossary and policy": "../../features/README.md",
    }
    for name, result in results.items():
        assert {"name": "Glossary and policy", "url": "../../features/README.md", "type": "link"} in result["links"], (
            name
        )


def test_an_id_missing_from_the_contract_still_links_and_is_reported(run, results):
    done, _ = run
    links = [link["name"] for link in results["The shop greets a shopper at the checkout"]["links"]]
    assert "Contract not-in-the-contract" in links
    assert "@contract ids with no anchor in docs/contract.md: not-in-the-contract" in done.stderr


def test_the_link_addresses_and_the_issue_tracker_are_configurable(tmp_path):
    done = run_fixture_spec(
        tmp_path,
        "--tags=@minor",
        "-D", "contract_url=https://example.org/repo/docs/contract.md",
        "-D", "glossary_url=https://example.org/repo/features/README.md",
        "-D", "AllureFormatter.issue_pattern=https://tracker.example/browse/{}",
    )  # fmt: skip  # each option beside its value
    assert done.returncode == 0, done.stdout + done.stderr
    receipt = by_name(read_results(tmp_path))["The receipt thanks the customer"]
    urls = {link["url"]: link["type"] for link in receipt["links"]}
    assert urls == {
        "https://tracker.example/browse/SHOP-42": "issue",
        "https://example.org/repo/docs/contract.md#checkout-total": "link",
        "https://example.org/repo/features/README.md": "link",
    }


def test_a_skipped_scenario_says_why_and_whether_the_run_selected_it(results):
    def verdict(name):
        result = results[name]
        return result["status"], labels(result)[SELECTION_LABEL], result["statusDetails"]["message"]

    status, selection, message = verdict("The trace agent finds nothing wrong")
    assert (status, selection) == ("skipped", NOT_RUNNABLE)
    assert message.startswith("Not runnable in this run's configuration: stack=fixture cannot run this scenario")
    assert verdict("A run slower than its thresholds")[1] == NOT_RUNNABLE  # another load profile
    status, selection, message = verdict("A step skips the rest of the scenario")
    assert (status, selection) == ("skipped", SELECTED)
    assert message == "Selected but skipped: the fixture skips it half-way, as a step that finds nothing to check would"
    assert labels(results["An order total is wrong"])[SELECTION_LABEL] == SELECTED


def test_scenarios_left_out_by_tags_are_not_selected(tmp_path):
    done = run_fixture_spec(tmp_path, "--tags=@blocker")
    assert done.returncode == 0, done.stdout + done.stderr
    results = by_name(read_results(tmp_path))
    assert results["The gateway reports it is healthy"]["status"] == "passed"
    left_out = results["An order total is wrong"]
    assert left_out["status"] == "skipped" and labels(left_out)[SELECTION_LABEL] == NOT_SELECTED
    assert left_out["statusDetails"]["message"].startswith("Not selected in this run")


def test_evidence_is_on_the_step_that_made_it_named_for_a_reader(results):
    steps = {step["name"]: step for step in results["A customer orders two units of product 123"]["steps"]}
    ordered = [a["name"] for a in steps['When customer "cust-789" orders 2 units of product 123']["attachments"]]
    assert ordered == ["POST /api/v1/orders → 201 Created · correlation id fixture-checkout"]
    traced = [(a["name"], a["type"]) for a in steps["Then the order is one trace across the services"]["attachments"]]
    assert [kind for _, kind in traced] == ["text/plain", "image/svg+xml"]
    assert traced[1][0].endswith("(waterfall)")
    table_step = results["Mixed shopping traffic for a short while"]["steps"][0]
    assert [a["name"] for a in table_step["attachments"]] == ["Step table"]


def test_the_environment_names_the_stack_versions_commit_and_machine(run, tmp_path_factory):
    results = tmp_path_factory.mktemp("env")
    assert run_fixture_spec(results, "--tags=@blocker").returncode == 0
    text = (results / "environment.properties").read_text(encoding="utf-8")
    for key in (
        "Stack=fixture",
        "Tracer=otel",
        "Gateway\\ URL=http://127.0.0.1:9",
        "Gateway\\ version=unknown",
        "Python=",
        "behave=",
        "allure-behave=",
        "Git\\ commit=",
        "Machine=",
    ):
        assert key in text, text
    assert "cores" in text and "GiB memory" in text


def test_results_of_the_same_scenario_share_their_identity_across_runs(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for results in (first, second):
        assert run_fixture_spec(results, "--tags=@pattern-2").returncode == 0

    def identity(path):
        return sorted((r["fullName"], str(r.get("parameters"))) for r in read_results(path))

    assert identity(first) == identity(second)  # Allure keys history and retries by these
    assert len(set(identity(first))) == len(identity(first))
