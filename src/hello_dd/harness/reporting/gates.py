"""The report's quality gates (Allure 3): what a run must meet for ``make report`` to succeed.

- **No skipped scenario** among those the run selected (``selection``: scenarios left out by
  ``--tags``, and those the run's configuration cannot run, are reported but not counted).
- **Load thresholds**, for each load scenario that ran, from its own thresholds table: p95 latency at
  most the limit, error rate below it, and at least the given share of answers passing each check
  (the same comparisons as the scenario's Then step, ``Thresholds.breaches``). The figures are the
  run's metrics (``load_metrics``).

Each gate is a rule set in Allure's terms. ``maxSkippedSelected`` and ``metricBelow`` are rules this
project defines (``allure_build.mjs``); ``metricMax`` and ``metricMin`` are Allure's.
"""

from __future__ import annotations

from typing import Any

from hello_dd.harness.load.profile import CHECKS
from hello_dd.harness.reporting.load_metrics import LoadRun


def quality_gate_rules(load_runs: list[LoadRun], *, max_skipped: int = 0) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [{"id": "no skipped scenario", "maxSkippedSelected": max_skipped}]
    for run in load_runs:
        limits = run.thresholds
        if limits is None:
            continue
        rules.append(
            {
                "id": f"load: {run.name}",
                "metricMax": {"key": run.key("p95_ms"), "value": limits.p95_ms, "unit": "ms"},
                "metricBelow": {"key": run.key("error_rate_pct"), "value": 100.0 * limits.error_rate, "unit": "%"},
            }
        )
        rules += [
            {
                "id": f"load: {run.name}: {name}",
                "metricMin": {"key": run.key(f"check.{CHECKS[name][0]}_pct"), "value": 100.0 * least, "unit": "%"},
            }
            for name, least in limits.checks
        ]
    return rules
