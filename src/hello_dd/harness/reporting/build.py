"""The command that builds the Allure HTML report of a run (``make report``): it builds the report
(``html_report``), says where it is and how to open it, and what its quality gates found, which decides
its exit status unless ``--warn-only`` is given.

Usage: ``python -m hello_dd.harness.reporting.build [--help]``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from hello_dd.harness.reporting.allure_cli import AllureReportError
from hello_dd.harness.reporting.history import DEFAULT_HISTORY
from hello_dd.harness.reporting.html_report import (
    DEFAULT_HISTORY_LIMIT,
    DEFAULT_REPORT_NAME,
    BuiltReport,
    build_allure_report,
)

DEFAULT_RESULTS = Path("reports/allure-results")
DEFAULT_OUTPUT = Path("reports/allure-report")
EXIT_GATES_FAILED = 3
VIEW_PORT = 8080


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
