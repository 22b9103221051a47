"""The report's quality gates (Allure 3): what a run must meet for ``make report`` to succeed.

- **No skipped scenario** among those the run selected (``selection``: scenarios left out by
  ``--tags``, and those the run's configuration cannot run, are reported but not counted).
- **Load thresholds**, for each load profile that ran: its p95 latency at most the limit of its
  thresholds table, and its error rate below the table's (the same comparisons as the scenario's
  own Then step). The figures are the run's metrics (``load_metrics``).

Each gate is a rule set in Allure's terms. ``maxSkippedSelected`` and ``metricBelow`` are rules this
project defines (``allure_build.mjs``); ``metricMax`` is Allure's.
"""

from __future__ import annotations

from typing import Any

from hello_dd.harness.reporting.load_metrics import LoadRun


def quality_gate_rules(load_runs: list[LoadRun], *, max_skipped: int = 0) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [{"id": "no skipped scenario", "maxSkippedSelected": max_skipped}]
    for run in load_runs:
        limits = run.thresholds
        rules.append(
            {
                "id": f"load {run.profile}",
                "metricMax": {"key": run.key("p95_ms"), "value": limits.p95_ms, "unit": "ms"},
                "metricBelow": {"key": run.key("error_rate_pct"), "value": 100.0 * limits.error_rate, "unit": "%"},
            }
        )
    return rules
