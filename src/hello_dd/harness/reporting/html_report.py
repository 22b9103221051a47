"""Builds the Allure HTML report of a run's results, offline, in a second or two.

The report is Allure 3's "Awesome" report, built by the libraries of the Allure 3 CLI (``allure_cli``)
through ``allure_build.mjs``, with:

- the Behaviors tree: epic / feature / story, as the formatter labelled each result;
- categories (``categories``), the load figures as metrics (``load_metrics``) and quality gates
  (``gates``), whose verdict the command (``build``) turns into its exit status;
- history across runs in ``reports/allure-history.jsonl`` (``history``): each scenario's earlier
  results, flaky ones marked, and the load metrics' trend;
- optionally a single self-contained HTML file to mail or attach to a ticket.

The report is built into a fresh directory next to the output and swapped in when complete, so a
failed build leaves the previous report alone (the Allure libraries neither empty an output directory
nor lay out a non-empty one correctly). The Awesome template adds Google Analytics to ``index.html``;
that tag is removed, so opening the report contacts nobody.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from hello_dd.harness.reporting.allure_cli import (
    ANSI,
    AllureReportError,
    check_tools,
    find_allure_cli,
    project_root,
    run_node,
)
from hello_dd.harness.reporting.categories import CATEGORIES
from hello_dd.harness.reporting.gates import quality_gate_rules
from hello_dd.harness.reporting.history import WorkingHistory, prepare
from hello_dd.harness.reporting.load_metrics import load_runs
from hello_dd.harness.reporting.selection import SELECTED, SELECTION_LABEL

DEFAULT_REPORT_NAME = "hello-dd spec"
GROUP_BY = ["epic", "feature", "story"]
DEFAULT_HISTORY_LIMIT = 100

_ANALYTICS_LOADER = re.compile(r"[ \t]*<script[^>]*googletagmanager\.com[^>]*>\s*</script>[ \t]*\n?")
_ANALYTICS_CALLS = re.compile(r"[ \t]*<script>(?:(?!</script>).)*?\bgtag\((?:(?!</script>).)*</script>[ \t]*\n?", re.S)


@dataclass(frozen=True)
class GateResult:
    rule: str
    success: bool
    message: str


@dataclass(frozen=True)
class BuiltReport:
    index: Path
    single_file: bool
    gates: list[GateResult]
    history: WorkingHistory | None
    load_scenarios: list[str]
    not_run: Counter[str]

    @property
    def failed_gates(self) -> list[GateResult]:
        return [gate for gate in self.gates if not gate.success]


def result_files(results_dir: Path) -> list[Path]:
    """The Allure result files (one per test) in a results directory."""
    return sorted(results_dir.glob("*-result.json")) if results_dir.is_dir() else []


def strip_analytics(html: str) -> str:
    """``index.html`` without the Google Analytics tag the Awesome template adds."""
    return _ANALYTICS_CALLS.sub("", _ANALYTICS_LOADER.sub("", html))


def not_run(results_dir: Path) -> Counter[str]:
    """Skipped results by their place in the run (``selection``): selected, not selected, not runnable."""
    counts: Counter[str] = Counter()
    for path in result_files(results_dir):
        result = json.loads(path.read_text(encoding="utf-8"))
        if result.get("status") == "skipped":
            labels = {label.get("name"): label.get("value") for label in result.get("labels", [])}
            counts[labels.get(SELECTION_LABEL, SELECTED)] += 1
    return counts


def _check_inputs(results_dir: Path, output_dir: Path, cli: Path | None) -> Path:
    if not results_dir.is_dir():
        raise AllureReportError(f"no Allure results: {results_dir} does not exist; run the suite first (behave)")
    if not result_files(results_dir):
        raise AllureReportError(
            f"no Allure results: {results_dir} has no *-result.json file; run the suite first (behave)"
        )
    cli = check_tools(cli)
    if output_dir.exists() and not _replaceable(output_dir):
        raise AllureReportError(
            f"{output_dir} exists and is not an Allure report (no index.html); choose another --output or remove it"
        )
    return cli


def build_allure_report(
    results_dir: Path,
    output_dir: Path,
    *,
    report_name: str = DEFAULT_REPORT_NAME,
    allure_cli: Path | None = None,
    history_file: Path | None = None,
    history_limit: int = DEFAULT_HISTORY_LIMIT,
    single_file: bool = False,
) -> BuiltReport:
    """Builds the HTML report of ``results_dir`` into ``output_dir`` (replacing an earlier report
    there), reading and extending ``history_file`` (None: no history). Raises ``AllureReportError``
    when there are no results, the Allure CLI or Node.js is missing, ``output_dir`` holds something
    other than a report, or the build fails. A failed quality gate does not raise: see
    ``failed_gates``."""
    results_dir, output_dir = Path(results_dir).resolve(), Path(output_dir).resolve()
    cli = _check_inputs(results_dir, output_dir, allure_cli if allure_cli is not None else find_allure_cli())
    runs = load_runs(results_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}-", dir=output_dir.parent))
    try:
        history = prepare(Path(history_file).resolve(), results_dir, scratch) if history_file else None
        staging = scratch / "report"
        plan = {
            "projectRoot": str(project_root(cli)),
            "results": str(results_dir),
            "output": str(staging),
            "name": report_name,
            "historyPath": str(history.copy) if history else None,
            "historyLimit": history_limit,
            "singleFile": single_file,
            "groupBy": GROUP_BY,
            "categories": CATEGORIES,
            "qualityGate": quality_gate_rules(runs),
            "metrics": [metric for run in runs for metric in run.metrics()],
            "gateResults": str(scratch / "quality-gate.json"),
        }
        (scratch / "plan.json").write_text(json.dumps(plan, indent=2), encoding="utf-8")
        run_node(scratch / "plan.json", project_root(cli))
        index = staging / "index.html"
        if not index.is_file():
            raise AllureReportError(f"the Allure build finished but wrote no index.html into {staging}")
        index.write_text(strip_analytics(index.read_text(encoding="utf-8")), encoding="utf-8")
        if single_file:  # only the page: Allure's summary files for CI tools would only confuse a reader
            for extra in (path for path in staging.iterdir() if path != index):
                if extra.is_dir():
                    shutil.rmtree(extra)
                else:
                    extra.unlink()
        gates = [
            GateResult(rule=item["rule"], success=bool(item["success"]), message=ANSI.sub("", item["message"]))
            for item in json.loads((scratch / "quality-gate.json").read_text(encoding="utf-8"))["results"]
        ]
        if output_dir.exists():
            shutil.rmtree(output_dir)
        staging.rename(output_dir)
        if history:
            history.commit()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return BuiltReport(
        index=output_dir / "index.html",
        single_file=single_file,
        gates=gates,
        history=history,
        load_scenarios=[run.name for run in runs],
        not_run=not_run(results_dir),
    )


def _replaceable(output_dir: Path) -> bool:
    return output_dir.is_dir() and (not any(output_dir.iterdir()) or (output_dir / "index.html").is_file())
