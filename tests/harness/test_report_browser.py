"""The report in a real browser (headless Chromium over the DevTools protocol), after two runs of the
fixture features: the Behaviors tree reads epic, feature, story; a trace waterfall renders as a
picture with its time axis; a scenario's history shows the first run. The screenshots it takes
(overview, Behaviors tree, trace waterfall) are saved in reports/screenshots/ (see the README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hello_dd.harness.reporting.areas import AREA_EPICS
from hello_dd.harness.reporting.html_report import build_allure_report

from .browser import Page, needs_chromium
from .report_support import CLEAN_RUN, needs_allure, report_test_results, run_fixture_spec

SCREENSHOTS = Path(__file__).resolve().parents[2] / "reports" / "screenshots"
TRACED = "A customer orders two units of product 123"
FAILED_FIRST = "The receipt thanks the customer"


def _contains(*texts: str) -> str:
    """A JavaScript test that the page's visible text contains all of ``texts``."""
    return " && ".join(f"document.body.innerText.includes({json.dumps(text)})" for text in texts)


def _in_order(*texts: str) -> str:
    """A JavaScript test that ``texts`` appear on the page in this order."""
    positions = ", ".join(f"document.body.innerText.indexOf({json.dumps(text)})" for text in texts)
    return f"(p => p.every(i => i >= 0) && p.every((i, n) => n === 0 || p[n - 1] < i))([{positions}])"


@needs_allure
@needs_chromium
@pytest.mark.slow
async def test_the_report_in_a_browser_after_two_runs(tmp_path, serve):
    history = tmp_path / "allure-history.jsonl"
    for run, fail in ((1, FAILED_FIRST), (2, "")):
        results = tmp_path / f"run-{run}" / "allure-results"
        # Scenarios the tags leave out are dropped (allure-behave's hide_excluded), as a focused run may do.
        run_fixture_spec(
            results, *CLEAN_RUN, "-D", "AllureFormatter.hide_excluded=true", env={"REPORT_FIXTURE_FAIL": fail}
        )
        report = build_allure_report(results, tmp_path / "allure-report", history_file=history).index.parent
    ids = {tr["name"]: tr["id"] for tr in report_test_results(report) if not tr["isRetry"]}
    index = serve(report) + "index.html"

    async with Page(tmp_path / "chromium") as page:
        # The overview: totals, the run's environment ("Metadata"), then the Behaviors tree.
        await page.open(index)
        epic, feature, story = AREA_EPICS["pattern-2"], "Order checkout", "A confirmed order takes its stock"
        await page.wait_for(_contains("Metadata", "Stack", "fixture", epic), "the overview with the environment")
        await page.screenshot(SCREENSHOTS / "overview.png")

        # The Behaviors tree: epic > feature > story > scenario, in that order on the page.
        for parent, child in ((epic, feature), (feature, story), (story, TRACED)):
            if not await page.evaluate(_contains(child)):
                await page.click_text(parent)
            await page.wait_for(_contains(child), f"{child!r} under {parent!r}")
        await page.wait_for(_in_order(epic, feature, story, TRACED), "epic, feature, story and scenario in order")
        await page.evaluate(
            "[...document.querySelectorAll('*')].find(e => e.children.length === 0 && (e.innerText || '').trim() === "
            f"{json.dumps(epic)}).scrollIntoView({{block: 'start'}})"
        )
        await page.screenshot(SCREENSHOTS / "behaviors.png")

        # A trace waterfall: the scenario's SVG attachment, opened, drawn at its full width.
        await page.open(f"{index}#/{ids[TRACED]}/attachments")
        await page.wait_for(_contains("(waterfall)"), "the waterfall attachment")
        name = await page.evaluate(
            "[...document.querySelectorAll('*')].map(e => e.children.length === 0 && (e.innerText || '').trim())"
            ".find(t => t && t.endsWith('(waterfall)'))"
        )
        await page.click_text(name)
        await page.wait_for("[...document.images].some(i => i.naturalWidth >= 1000)", "the waterfall drawn")
        svg = await page.evaluate(
            "fetch([...document.images].find(i => i.naturalWidth >= 1000).src).then(r => r.text())"
        )
        assert "api-gateway" in svg and ">0</text>" in svg and " ms</text>" in svg  # spans and the time axis
        await page.screenshot(SCREENSHOTS / "trace-waterfall.png")

        # History: the second report shows each scenario's result of the first run (here: failed).
        await page.open(f"{index}#/{ids[FAILED_FIRST]}/history")
        items = "[...document.querySelectorAll('[data-testid=test-result-history-item]')]"
        await page.wait_for(f"{items}.length > 0", "the history of the first run")
        shown = await page.evaluate(
            f"{items}.map(i => i.querySelector('[data-testid^=tree-leaf-status-]').dataset.testid)"
        )
    assert shown == ["tree-leaf-status-failed"]
    assert len(history.read_text().splitlines()) == 2
    for tr in report_test_results(report):
        assert len(tr.get("history", [])) == 1, tr["name"]  # every scenario: its result of the first run
