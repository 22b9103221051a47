"""The Allure HTML report: built with the Allure 3 libraries from real behave results, rendered in a
browser; the command line's options and errors."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hello_dd.harness.reporting.allure_cli import AllureReportError
from hello_dd.harness.reporting.build import main
from hello_dd.harness.reporting.html_report import build_allure_report

from .browser import CHROMIUM, CHROMIUM_FLAGS, needs_chromium
from .report_support import needs_allure

# Tried in turn: the report is a single-page app that fetches its data, so give it time on slow machines.
VIRTUAL_TIME_BUDGETS_MS = (10_000, 30_000)

STEPS = """
from behave import given, then

@given("a shopper opens the shop")
def opens(context):
    context.greeting = "hello"

@then("the shop greets the shopper")
def greets(context):
    assert context.greeting == "hello"

@then("the shop says goodbye")
def says_goodbye(context):
    assert context.greeting == "goodbye", f"expected goodbye, the shop said {context.greeting}"
"""


@pytest.fixture
def feature_name() -> str:
    # Unique, so finding it on the page cannot be a coincidence.
    return f"Greeting shoppers {uuid.uuid4().hex[:8]}"


@pytest.fixture
def allure_results(tmp_path: Path, feature_name: str) -> Path:
    """A real allure-results directory, written by behave's Allure formatter for a throwaway feature
    with one passing and one failing scenario."""
    project = tmp_path / "project"
    (project / "features" / "steps").mkdir(parents=True)
    (project / "features" / "shop.feature").write_text(
        f"Feature: {feature_name}\n"
        "  Scenario: The shop greets a shopper\n"
        "    Given a shopper opens the shop\n"
        "    Then the shop greets the shopper\n"
        "\n"
        "  Scenario: The shop says goodbye\n"
        "    Given a shopper opens the shop\n"
        "    Then the shop says goodbye\n",
        encoding="utf-8",
    )
    (project / "features" / "steps" / "shop_steps.py").write_text(STEPS, encoding="utf-8")
    results = tmp_path / "allure-results"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "behave",
            "-f",
            "allure_behave.formatter:AllureFormatter",
            "-o",
            str(results),
            "features",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, f"one scenario should fail:\n{done.stdout}\n{done.stderr}"  # behave: 1 = failures
    assert len(list(results.glob("*-result.json"))) == 2, done.stdout + done.stderr
    return results


def chromium(tmp_path: Path, url: str, *, budget_ms: int, extra: list[str]) -> subprocess.CompletedProcess:
    home = tmp_path / "chromium-home"
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    command = [
        CHROMIUM,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={home / 'profile'}",
        f"--virtual-time-budget={budget_ms}",
        *extra,
        url,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, env=env)


class VisibleText(HTMLParser):
    """The text nodes of a DOM outside scripts, styles and templates: what a reader can see."""

    HIDDEN = {"script", "style", "template", "noscript", "title", "head"}

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth and data.strip():
            self.texts.append(data.strip())


def visible_texts(dom: str) -> list[str]:
    parser = VisibleText()
    parser.feed(dom)
    return parser.texts


@needs_allure
@needs_chromium
def test_the_report_renders_the_features_of_a_real_run(tmp_path, allure_results, feature_name, serve):
    output = tmp_path / "reports" / "allure-report"
    index = build_allure_report(allure_results, output).index

    assert index == output.resolve() / "index.html"
    raw = index.read_text(encoding="utf-8")
    assert feature_name not in raw  # the names come from the report's data, rendered by its app
    assert "googletagmanager" not in raw and "gtag(" not in raw  # opening the report contacts nobody

    url = serve(output) + "index.html"
    texts: list[str] = []
    for budget in VIRTUAL_TIME_BUDGETS_MS:
        done = chromium(tmp_path, url, budget_ms=budget, extra=["--dump-dom"])
        assert done.returncode == 0, done.stderr[-2000:]
        texts = visible_texts(done.stdout)
        if feature_name in texts:
            break
    assert feature_name in texts, f"{feature_name!r} is not on the rendered page; visible text: {texts[:60]}"
    assert "The shop greets a shopper" in texts
    assert "The shop says goodbye" in texts


@needs_allure
def test_a_second_build_replaces_the_first_report_entirely(tmp_path, allure_results):
    output = tmp_path / "allure-report"
    build_allure_report(allure_results, output)
    (output / "left-over.txt").write_text("from an older report", encoding="utf-8")
    index = build_allure_report(allure_results, output, report_name="second build").index
    assert not (output / "left-over.txt").exists()
    assert "<title> second build </title>" in index.read_text(encoding="utf-8")
    assert [p.name for p in output.parent.iterdir() if p.name.startswith(".allure-report-")] == []  # no staging left


@needs_allure
def test_the_command_line_entry_builds_the_report(tmp_path, allure_results, capsys):
    output = tmp_path / "out"
    assert (
        main(["--results", str(allure_results), "--output", str(output), "--history", str(tmp_path / "h.jsonl")]) == 0
    )
    assert (output / "index.html").is_file()
    assert f"Allure report: {output.resolve() / 'index.html'}" in capsys.readouterr().out


def test_help_names_the_options():
    done = subprocess.run(
        [sys.executable, "-m", "hello_dd.harness.reporting.build", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "100"},  # no wrap inside a path
    )
    assert done.returncode == 0
    for option in (
        "--results DIR",
        "--output DIR",
        "--history FILE",
        "--history-limit N",
        "--no-history",
        "--single-file",
        "--warn-only",
        "reports/allure-results",
        "reports/allure-report",
        "reports/allure-history.jsonl",
        "npm ci",
    ):
        assert option in done.stdout


def test_missing_results_are_refused_clearly(tmp_path):
    with pytest.raises(AllureReportError, match="does not exist; run the suite first"):
        build_allure_report(tmp_path / "nowhere", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AllureReportError, match=r"has no \*-result.json file"):
        build_allure_report(tmp_path / "empty", tmp_path / "out")


def test_a_missing_cli_says_to_run_npm_ci(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    (results / "x-result.json").write_text("{}", encoding="utf-8")
    with pytest.raises(AllureReportError, match="run `npm ci`"):
        build_allure_report(results, tmp_path / "out", allure_cli=tmp_path / "node_modules" / ".bin" / "allure")


def test_the_command_line_reports_errors_without_a_traceback(tmp_path, capsys):
    assert main(["--results", str(tmp_path / "nowhere"), "--output", str(tmp_path / "out")]) == 1
    assert "allure report: no Allure results" in capsys.readouterr().err


@needs_allure
def test_an_output_directory_that_is_not_a_report_is_left_alone(tmp_path, allure_results):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(AllureReportError, match="is not an Allure report"):
        build_allure_report(allure_results, precious)
    assert (precious / "notes.txt").read_text(encoding="utf-8") == "keep me"
