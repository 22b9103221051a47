"""Collects each scenario's outcome during a behave run and writes reports/test_report.md and
reports/spec-map.md from them, and the outcomes themselves to reports/run-results.json: a run on several
stacks side by side (``hello_dd.harness.reporting.stacks``) merges those of each stack into the reports
of one run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

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


#: The run's outcomes as data, next to the reports written from them.
RESULTS_FILE = "run-results.json"


@dataclass
class RunResults:
    outcomes: list[ScenarioOutcome] = field(default_factory=list)
    load: LoadRun | None = None
    #: Which stack the run verified, as the reports name it (empty until the run says).
    stack: str = ""

    def add(self, scenario: Any) -> None:
        self.outcomes.append(outcome_of(scenario))

    def add_load(self, result: LoadResult, thresholds: Thresholds) -> None:
        """A load scenario's figures and its own thresholds (the last one of the run is reported)."""
        self.load = LoadRun(result.overall, result.check_shares, thresholds)

    def write(self, reports_dir: Path, contract: list[ContractItem], *, stack: str) -> list[Path]:
        self.stack = stack
        data = reports_dir / RESULTS_FILE
        data.parent.mkdir(parents=True, exist_ok=True)
        data.write_bytes(_ADAPTER.dump_json(self, indent=1))
        return [
            write_test_report(reports_dir / "test_report.md", self.outcomes, self.load, stack=stack),
            write_spec_map(reports_dir / "spec-map.md", contract, self.outcomes, stack=stack),
            data,
        ]

    @classmethod
    def read(cls, reports_dir: Path) -> RunResults:
        """What a run wrote to ``reports_dir`` (its ``run-results.json``)."""
        return _ADAPTER.validate_json((reports_dir / RESULTS_FILE).read_bytes())

    @classmethod
    def merged(cls, parts: Sequence[RunResults]) -> RunResults:
        """The results of runs of disjoint scenarios (one per stack) as those of one run: the scenarios
        in the order one run takes them (by feature file, then line), the load figures of the run that
        measured them, and every stack named."""

        def order(outcome: ScenarioOutcome) -> tuple[str, int]:
            filename, _, line = outcome.location.rpartition(":")
            return filename, int(line) if line.isdigit() else 0

        outcomes = sorted((o for part in parts for o in part.outcomes), key=order)
        loads = [part.load for part in parts if part.load is not None]
        stacks = [part.stack for part in parts if part.stack]
        stack = stacks[0] if len(stacks) == 1 else f"{len(stacks)} stacks side by side: " + "; ".join(stacks)
        return cls(outcomes, loads[-1] if loads else None, stack)


_ADAPTER = TypeAdapter(RunResults)
