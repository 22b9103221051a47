"""What the report tests share: runs of the fixture features (tests/harness/fixtures/report_spec) with
the project's Allure formatter, and ways to read the results and the built report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hello_dd.harness.reporting.allure_cli import find_allure_cli

FIXTURE_SPEC = Path(__file__).parent / "fixtures" / "report_spec"
FORMATTER = "hello_dd.harness.reporting.formatter:AllureFormatter"
# The fixture's features that pass, or are skipped on purpose (no failures, no half-way skip).
CLEAN_RUN = ["--tags=not @errors and not @skips"]

needs_allure = pytest.mark.skipif(
    find_allure_cli() is None or shutil.which("node") is None,
    reason="the Allure 3 CLI is not installed (node_modules/.bin/allure): run `npm ci` in the project root",
)


def run_fixture_spec(
    results: Path, *behave_args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """behave on the fixture features, writing Allure results into ``results``."""
    command = [
        sys.executable,
        "-m",
        "behave",
        "-f",
        FORMATTER,
        "-o",
        str(results),
        "-f",
        "plain",
        *behave_args,
        "features",
    ]
    return subprocess.run(
        command, cwd=FIXTURE_SPEC, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}
    )


def read_results(results: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(results.glob("*-result.json"))]


def labels(result: dict[str, Any]) -> dict[str, str]:
    """A result's labels by name (the last value of a name wins)."""
    return {label["name"]: label["value"] for label in result.get("labels", [])}


def by_name(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {result["name"]: result for result in results}


def report_test_results(report: Path) -> list[dict[str, Any]]:
    """The test results as the built report holds them (data/test-results/*.json)."""
    return [
        json.loads(p.read_text(encoding="utf-8")) for p in sorted((report / "data" / "test-results").glob("*.json"))
    ]


def widget(report: Path, name: str) -> Any:
    return json.loads((report / "widgets" / name).read_text(encoding="utf-8"))
