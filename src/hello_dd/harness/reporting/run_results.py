"""Collects each scenario's outcome during a behave run and writes reports/test_report.md and
reports/spec-map.md from them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hello_dd.harness.load.profile import Thresholds
from hello_dd.harness.load.runner import LoadResult
from hello_dd.harness.reporting.contract import ContractItem
from hello_dd.harness.reporting.markdown_report import LoadRun, ScenarioOutcome, write_test_report
from hello_dd.harness.reporting.spec_map import write_spec_map

# behave's statuses in the report's four terms.
_FAILED = {"failed", "error", "hook_error", "cleanup_error", "undefined", "pending", "pending_warn", "xpassed"}
_UNTESTED = {"untested", "untested_pending", "untested_undefined", "unknown", "executing"}
_PASSED = {"passed", "xfailed"}


def _report_status(behave_status: str) -> str:
    if behave_status in _FAILED:
        return "failed"
    if behave_status in _UNTESTED:
        return "untested"
    if behave_status in _PASSED:
        return "passed"
    return "skipped"


def outcome_of(scenario: Any) -> ScenarioOutcome:
    """A behave scenario's result in the report's terms."""
    status = _report_status(scenario.status.name)
    failure = None
    if status == "failed":
        failing = next((step for step in scenario.steps if step.status.name in _FAILED), None)
        if failing is not None:
            failure = f"{failing.keyword} {failing.name}\n{failing.error_message or ''}".strip()
        else:
            failure = getattr(scenario, "error_message", None) or "failed in a hook"
    return ScenarioOutcome(
        feature=scenario.feature.name,
        scenario=scenario.name,
        tags=tuple(scenario.effective_tags),
        status=status,
        location=f"{scenario.location.filename}:{scenario.location.line}",
        duration_s=float(getattr(scenario, "duration", 0.0) or 0.0),
        failure=failure,
    )


class RunResults:
    def __init__(self) -> None:
        self.outcomes: list[ScenarioOutcome] = []
        self.load: LoadRun | None = None

    def add(self, scenario: Any) -> None:
        self.outcomes.append(outcome_of(scenario))

    def add_load(self, result: LoadResult, thresholds: Thresholds) -> None:
        """A load scenario's figures and its own thresholds (the last one of the run is reported)."""
        self.load = LoadRun(result.overall, result.check_shares, thresholds)

    def write(self, reports_dir: Path, contract: list[ContractItem], *, stack: str) -> list[Path]:
        return [
            write_test_report(reports_dir / "test_report.md", self.outcomes, self.load, stack=stack),
            write_spec_map(reports_dir / "spec-map.md", contract, self.outcomes, stack=stack),
        ]
