"""``behave --dry-run`` on the whole suite, without a stack: every scenario listed as untested, nothing
counted as failed, and the reports of the last real run left as they were (harness.reporting.runner)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from behave.parser import parse_feature

from hello_dd.harness.reporting.runner import _FeatureWithRules

ROOT = Path(__file__).resolve().parents[2]


def _reports() -> dict[str, float]:
    reports = ROOT / "reports"
    return {str(path): path.stat().st_mtime_ns for path in reports.rglob("*") if path.is_file()}


def test_a_dry_run_counts_nothing_failed_and_writes_no_report():
    before = _reports()
    run = subprocess.run(
        [sys.executable, "-m", "behave", "--dry-run"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    summary = [line for line in run.stdout.splitlines() if line.startswith(("0 features", "0 scenarios"))]
    assert len(summary) == 2, run.stdout[-1500:]
    assert all(", 0 failed," in line for line in summary), summary
    assert "0 scenarios passed, 0 failed, 0 skipped, " in run.stdout
    assert _reports() == before, "a dry run changed the reports of the last real run"


def test_a_features_duration_counts_the_scenarios_of_its_rules():
    feature = parse_feature(
        "Feature: f\n  Scenario: outside\n    Given a\n  Rule: r\n    Scenario: inside\n      Given b\n"
    )
    outside, inside = feature.walk_scenarios()
    outside.steps[0].duration, inside.steps[0].duration = 1.5, 2.0
    assert feature.duration == 1.5  # behave's own: the Rule's scenario left out, so a JUnit time of 0
    feature.__class__ = _FeatureWithRules
    assert feature.duration == 3.5
