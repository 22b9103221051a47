"""Builds the Allure HTML report from ``reports/allure-results`` with the Allure 3 CLI.

The CLI is the npm package ``allure`` pinned in the project's ``package.json`` and installed into
``node_modules/`` by ``npm ci``. This module runs its ``awesome`` command, which always produces
Allure 3's default "Awesome" report (``allure generate`` would pick whatever plugins an
``allurerc`` file names). It works offline: the CLI only reads the results and writes files.

The report is built into a fresh directory next to the output and swapped in when complete, so a
failed build leaves the previous report alone and files of an older report never linger (the CLI
itself neither empties the output directory nor lays out a non-empty one correctly).

The Awesome template always adds Google Analytics to ``index.html``; that tag is removed, so opening
the report contacts nobody. Serve the report directory over HTTP (``python -m http.server -d
reports/allure-report``) or open it with ``npx allure open reports/allure-report``.

Usage: ``python -m hello_dd.harness.allure_html [--results DIR] [--output DIR]``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

DEFAULT_RESULTS = Path("reports/allure-results")
DEFAULT_OUTPUT = Path("reports/allure-report")
DEFAULT_REPORT_NAME = "hello-dd spec"
CLI_IN_PROJECT = Path("node_modules/.bin/allure")
BUILD_TIMEOUT_S = 300

INSTALL_HINT = "run `npm ci` in the project root (needs Node.js 20 or newer; package.json pins the Allure 3 CLI)"

_ANALYTICS_LOADER = re.compile(r"[ \t]*<script[^>]*googletagmanager\.com[^>]*>\s*</script>[ \t]*\n?")
_ANALYTICS_CALLS = re.compile(r"[ \t]*<script>(?:(?!</script>).)*?\bgtag\((?:(?!</script>).)*</script>[ \t]*\n?", re.S)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class AllureReportError(RuntimeError):
    """The report could not be built; the message says why and what to do."""


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


def build_allure_report(
    results_dir: Path,
    output_dir: Path,
    *,
    report_name: str = DEFAULT_REPORT_NAME,
    allure_cli: Path | None = None,
) -> Path:
    """Builds the HTML report of ``results_dir`` into ``output_dir`` (replacing an earlier report
    there) and returns the path of its ``index.html``. Raises ``AllureReportError`` when there are
    no results, the Allure CLI or Node.js is missing, ``output_dir`` holds something other than a
    report, or the CLI fails."""
    results_dir, output_dir = Path(results_dir).resolve(), Path(output_dir).resolve()
    if not results_dir.is_dir():
        raise AllureReportError(f"no Allure results: {results_dir} does not exist; run the suite first (behave)")
    if not result_files(results_dir):
        raise AllureReportError(f"no Allure results: {results_dir} has no *-result.json file; run the suite first (behave)")
    cli = allure_cli if allure_cli is not None else find_allure_cli()
    if cli is None or not Path(cli).is_file():
        where = cli if cli is not None else f"{CLI_IN_PROJECT} (looked upwards from {Path.cwd()})"
        raise AllureReportError(f"the Allure 3 CLI is not installed: {where} is missing; {INSTALL_HINT}")
    if shutil.which("node") is None:
        raise AllureReportError(f"Node.js is not installed (`node` is not on PATH); install it, then {INSTALL_HINT}")
    if output_dir.exists() and not _replaceable(output_dir):
        raise AllureReportError(
            f"{output_dir} exists and is not an Allure report (no index.html); choose another --output or remove it"
        )

    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}-", dir=output_dir.parent))
    try:
        _run_cli(Path(cli), results_dir, staging, report_name)
        index = staging / "index.html"
        if not index.is_file():
            raise AllureReportError(f"the Allure CLI finished but wrote no index.html into {staging}")
        index.write_text(strip_analytics(index.read_text(encoding="utf-8")), encoding="utf-8")
        if output_dir.exists():
            shutil.rmtree(output_dir)
        staging.rename(output_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return output_dir / "index.html"


def _replaceable(output_dir: Path) -> bool:
    return output_dir.is_dir() and (not any(output_dir.iterdir()) or (output_dir / "index.html").is_file())


def _run_cli(cli: Path, results_dir: Path, output_dir: Path, report_name: str) -> None:
    # The project root (where node_modules is) is the working directory, so an allurerc file there
    # applies; name and output given here win over it.
    project_root = cli.absolute().parents[2] if cli.parent.name == ".bin" else Path.cwd()
    command = [str(cli), "awesome", str(results_dir), "--output", str(output_dir), "--report-name", report_name]
    env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"}
    try:
        done = subprocess.run(
            command, cwd=project_root, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S
        )
    except subprocess.TimeoutExpired as exc:
        raise AllureReportError(f"the Allure CLI did not finish within {BUILD_TIMEOUT_S} s: {' '.join(command)}") from exc
    except OSError as exc:
        raise AllureReportError(f"could not run the Allure CLI {cli}: {exc}; {INSTALL_HINT}") from exc
    if done.returncode != 0:
        output = _ANSI.sub("", (done.stdout + done.stderr).strip())
        raise AllureReportError(f"the Allure CLI failed (exit {done.returncode}): {' '.join(command)}\n{output}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hello_dd.harness.allure_html",
        description=(
            "Build the Allure HTML report from Allure results with the Allure 3 CLI installed by `npm ci` "
            "(node_modules/.bin/allure, run as `allure awesome`). Works offline. An earlier report in the "
            "output directory is replaced."
        ),
    )
    parser.add_argument(
        "--results", type=Path, default=DEFAULT_RESULTS, metavar="DIR",
        help=f"the allure-results directory behave wrote (default: {DEFAULT_RESULTS})",
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, metavar="DIR",
        help=f"where the HTML report goes (default: {DEFAULT_OUTPUT})",
    )
    parser.add_argument(
        "--name", default=DEFAULT_REPORT_NAME, help=f"the report's title (default: {DEFAULT_REPORT_NAME!r})"
    )
    args = parser.parse_args(argv)
    try:
        index = build_allure_report(args.results, args.output, report_name=args.name)
    except AllureReportError as exc:
        print(f"allure report: {exc}", file=sys.stderr)
        return 1
    print(f"Allure report: {index} (serve it with: python -m http.server -d {index.parent})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
