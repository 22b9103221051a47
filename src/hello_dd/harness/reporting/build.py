"""Builds the Allure HTML report of a run (``make report``), offline, in a second or two.

The report is Allure 3's "Awesome" report, built by the libraries of the Allure 3 CLI (npm packages
pinned in ``package.json``, installed into ``node_modules/`` by ``npm ci``) through
``allure_build.mjs``, with:

- the Behaviors tree: epic / feature / story, as the formatter labelled each result;
- categories (``categories``), the load figures as metrics (``load_metrics``) and quality gates
  (``gates``), whose verdict decides the exit status unless ``--warn-only`` is given;
- history across runs in ``reports/allure-history.jsonl`` (``history``): each scenario's earlier
  results, flaky ones marked, and the load metrics' trend;
- optionally a single self-contained HTML file (``--single-file``) to mail or attach to a ticket.

The report is built into a fresh directory next to the output and swapped in when complete, so a
failed build leaves the previous report alone (the Allure libraries neither empty an output directory
nor lay out a non-empty one correctly). The Awesome template adds Google Analytics to ``index.html``;
that tag is removed, so opening the report contacts nobody.

Usage: ``python -m hello_dd.harness.reporting.build [--help]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hello_dd.harness.reporting.categories import CATEGORIES
from hello_dd.harness.reporting.gates import quality_gate_rules
from hello_dd.harness.reporting.history import DEFAULT_HISTORY, WorkingHistory, prepare
from hello_dd.harness.reporting.load_metrics import load_runs
from hello_dd.harness.reporting.selection import SELECTED, SELECTION_LABEL

DEFAULT_RESULTS = Path("reports/allure-results")
DEFAULT_OUTPUT = Path("reports/allure-report")
DEFAULT_REPORT_NAME = "hello-dd spec"
CLI_IN_PROJECT = Path("node_modules/.bin/allure")
RUNNER = Path(__file__).with_name("allure_build.mjs")
# The Behaviors view: the tree of the report reads like the specification.
GROUP_BY = ["epic", "feature", "story"]
BUILD_TIMEOUT_S = 300
EXIT_GATES_FAILED = 3
# Runs the history keeps (about 0.1 MB each for the whole suite); older ones are dropped.
DEFAULT_HISTORY_LIMIT = 100
# The port `make report`'s hint serves the report on (not 8000, where `hello-dd up` puts the gateway).
VIEW_PORT = 8080

INSTALL_HINT = "run `npm ci` in the project root (needs Node.js 20 or newer; package.json pins the Allure 3 CLI)"

_ANALYTICS_LOADER = re.compile(r"[ \t]*<script[^>]*googletagmanager\.com[^>]*>\s*</script>[ \t]*\n?")
_ANALYTICS_CALLS = re.compile(r"[ \t]*<script>(?:(?!</script>).)*?\bgtag\((?:(?!</script>).)*</script>[ \t]*\n?", re.S)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class AllureReportError(RuntimeError):
    """The report could not be built; the message says why and what to do."""


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


def find_allure_cli(*starts: Path) -> Path | None:
    """``node_modules/.bin/allure`` in the first of ``starts`` (default: the working directory and
    this package's checkout) or one of their parent directories that has it."""
    for start in starts or (Path.cwd(), Path(__file__).resolve().parent):
        for directory in (start.resolve(), *start.resolve().parents):
            candidate = directory / CLI_IN_PROJECT
            if candidate.is_file():
                return candidate
    return None


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


def _project_root(cli: Path) -> Path:
    return cli.absolute().parents[2] if cli.parent.name == ".bin" else Path.cwd()


def _check_inputs(results_dir: Path, output_dir: Path, cli: Path | None) -> Path:
    if not results_dir.is_dir():
        raise AllureReportError(f"no Allure results: {results_dir} does not exist; run the suite first (behave)")
    if not result_files(results_dir):
        raise AllureReportError(
            f"no Allure results: {results_dir} has no *-result.json file; run the suite first (behave)"
        )
    if cli is None or not Path(cli).is_file():
        where = cli if cli is not None else f"{CLI_IN_PROJECT} (looked upwards from {Path.cwd()})"
        raise AllureReportError(f"the Allure 3 CLI is not installed: {where} is missing; {INSTALL_HINT}")
    if shutil.which("node") is None:
        raise AllureReportError(f"Node.js is not installed (`node` is not on PATH); install it, then {INSTALL_HINT}")
    if output_dir.exists() and not _replaceable(output_dir):
        raise AllureReportError(
            f"{output_dir} exists and is not an Allure report (no index.html); choose another --output or remove it"
        )
    return Path(cli)


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
            "projectRoot": str(_project_root(cli)),
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
        _run_node(scratch / "plan.json", _project_root(cli))
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
            GateResult(rule=item["rule"], success=bool(item["success"]), message=_ANSI.sub("", item["message"]))
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


def _run_node(plan: Path, project_root: Path) -> None:
    command = ["node", str(RUNNER), str(plan)]
    env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"}
    try:
        done = subprocess.run(
            command, cwd=project_root, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S
        )
    except subprocess.TimeoutExpired as exc:
        raise AllureReportError(
            f"the Allure build did not finish within {BUILD_TIMEOUT_S} s: {' '.join(command)}"
        ) from exc
    except OSError as exc:
        raise AllureReportError(f"could not run Node.js: {exc}; {INSTALL_HINT}") from exc
    if done.returncode != 0:
        output = _ANSI.sub("", (done.stdout + done.stderr).strip())
        raise AllureReportError(f"the Allure build failed (exit {done.returncode}): {' '.join(command)}\n{output}")


def summary(report: BuiltReport) -> list[str]:
    """What ``make report`` prints: where the report is, how to open it, the history and the gates."""
    lines = [f"Allure report: {report.index}"]
    if report.single_file:
        lines.append("  one self-contained file: open it from disk, or mail or attach it")
    elif report.index.parent.is_relative_to(Path.cwd()):
        where = report.index.parent.relative_to(Path.cwd()).as_posix()
        lines.append(
            "  view it over HTTP from here, so its links to docs/ work too: python -m http.server --bind 127.0.0.1"
            f" {VIEW_PORT}, then open http://127.0.0.1:{VIEW_PORT}/{where}/"
        )
    else:
        lines.append(
            f"  view it over HTTP: python -m http.server --bind 127.0.0.1 {VIEW_PORT} -d {report.index.parent}"
        )
    if report.history:
        lines.append(
            f"  history: this run and {report.history.earlier_runs} earlier run(s) in {report.history.history}"
        )
    if report.not_run.get("not runnable here") or report.not_run.get("not selected"):
        lines.append(
            f"  not counted as skipped: {report.not_run.get('not runnable here', 0)} scenario(s) this run's"
            f" configuration cannot run, {report.not_run.get('not selected', 0)} left out by --tags/--name"
            " (each result says why)"
        )
    passed = len(report.gates) - len(report.failed_gates)
    lines.append(f"  quality gates: {passed} passed, {len(report.failed_gates)} failed")
    lines += [f"    {'passed' if gate.success else 'FAILED'}  {gate.rule}: {gate.message}" for gate in report.gates]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hello_dd.harness.reporting.build",
        description=(
            "Build the Allure HTML report from Allure results with the Allure 3 libraries installed by `npm ci` "
            "(node_modules/). Works offline. An earlier report in the output directory is replaced. The report "
            "shows the Behaviors tree (epic, feature, story), categories, the environment, history across runs "
            "and quality gates: no skipped scenario among those the run selected, and the load thresholds. "
            f"Exit status: 0 built, 1 not built, {EXIT_GATES_FAILED} built but a quality gate failed."
        ),
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=DEFAULT_RESULTS,
        metavar="DIR",
        help=f"the allure-results directory behave wrote (default: {DEFAULT_RESULTS})",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        metavar="DIR",
        help=f"where the report goes, the links to docs/ relative to it (default: {DEFAULT_OUTPUT})",
    )
    parser.add_argument(
        "--name", default=DEFAULT_REPORT_NAME, help=f"the report's title (default: {DEFAULT_REPORT_NAME!r})"
    )
    parser.add_argument(
        "--history",
        type=Path,
        default=DEFAULT_HISTORY,
        metavar="FILE",
        help=f"Allure's history file, one line per run, kept across runs (default: {DEFAULT_HISTORY})",
    )
    parser.add_argument(
        "--history-limit",
        type=int,
        default=DEFAULT_HISTORY_LIMIT,
        metavar="N",
        help=f"runs the history keeps, the oldest dropped first (default: {DEFAULT_HISTORY_LIMIT})",
    )
    parser.add_argument("--no-history", action="store_true", help="build without reading or writing the history")
    parser.add_argument(
        "--single-file",
        action="store_true",
        help="write the report as one self-contained index.html (in --output) to open from disk, mail or attach",
    )
    parser.add_argument(
        "--warn-only", action="store_true", help="print failed quality gates but exit 0 (the report shows them too)"
    )
    args = parser.parse_args(argv)
    try:
        report = build_allure_report(
            args.results,
            args.output,
            report_name=args.name,
            history_file=None if args.no_history else args.history,
            history_limit=args.history_limit,
            single_file=args.single_file,
        )
    except AllureReportError as exc:
        print(f"allure report: {exc}", file=sys.stderr)
        return 1
    print("\n".join(summary(report)))
    if report.failed_gates and not args.warn_only:
        print(
            f"allure report: {len(report.failed_gates)} quality gate(s) failed (see above; --warn-only to only warn)",
            file=sys.stderr,
        )
        return EXIT_GATES_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
