"""The load figures of a run as Allure 3 metrics, so the report's Metrics view shows them next to
their earlier values (the history file keeps each run's) and quality gates can check them.

Nothing new is recorded during the run: a load scenario attaches its results (a JSON file with
``profile``, ``overall`` and ``endpoints``, see ``harness.load.runner``) and its thresholds table
(``| measure | limit |``) to its steps. They are read back here from the run's Allure results, so the
figures and the thresholds are exactly those of the scenario that ran, also when a run chose another
profile (``-D load_profile=seed``), and stale files from older runs never count.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hello_dd.harness.load.profile import Thresholds, thresholds_from_table
from hello_dd.harness.test_report import ERROR_RATE_LIMIT, P95_LIMIT_MS

# The seed's thresholds, used when a load scenario's thresholds table is not found.
SEED_THRESHOLDS = Thresholds(p95_ms=P95_LIMIT_MS, error_rate=ERROR_RATE_LIMIT)
RAN = {"passed", "failed", "broken"}


@dataclass(frozen=True)
class LoadRun:
    """One load scenario's figures (the runner's JSON) and thresholds, with when it ran."""

    profile: str
    figures: dict[str, Any]
    thresholds: Thresholds
    start_ms: int
    stop_ms: int

    def key(self, measure: str) -> str:
        return f"load.{self.profile}.{measure}"

    def metrics(self) -> list[dict[str, Any]]:
        """Allure metric samples: overall p95, p99, average, error rate and throughput, and each
        endpoint's p95."""
        overall = self.figures["overall"]
        group = {"group": f"load-{self.profile}", "groupTitle": f"Load, {self.profile} profile"}
        rows = [
            ("p95_ms", "p95 latency", overall["p95_ms"], "ms", "lower"),
            ("p99_ms", "p99 latency", overall["p99_ms"], "ms", "lower"),
            ("average_ms", "average latency", round(overall["average_ms"], 1), "ms", "lower"),
            ("error_rate_pct", "error rate", round(100.0 * overall["error_rate"], 2), "%", "lower"),
            ("throughput_rps", "throughput", round(overall["throughput_rps"], 1), "req/s", "higher"),
        ]
        rows += [
            (f"p95_ms.{endpoint['name']}", f"p95 latency of {endpoint['name']}", endpoint["p95_ms"], "ms", "lower")
            for endpoint in self.figures.get("endpoints", [])
        ]
        return [
            {
                "id": f"load-{self.profile}",
                "key": self.key(measure),
                "title": title,
                "value": float(value),
                "unit": unit,
                "better": better,
                "start": self.start_ms,
                "stop": self.stop_ms,
                **group,
            }
            for measure, title, value, unit, better in rows
        ]


def _attachments(steps: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for step in steps:
        yield from step.get("attachments", [])
        yield from _attachments(step.get("steps", []))


def _thresholds(text: str) -> Thresholds | None:
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or set(rows[0]) != {"measure", "limit"}:
        return None
    try:
        return thresholds_from_table(rows)
    except (ValueError, KeyError):
        return None


def _figures(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, dict) and {"profile", "overall"} <= data.keys() and "p95_ms" in data["overall"]:
        return data
    return None


def load_runs(results_dir: Path) -> list[LoadRun]:
    """The load scenarios of the run in ``results_dir`` that produced figures."""
    runs = []
    for path in sorted(results_dir.glob("*-result.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        if result.get("status") not in RAN:
            continue
        figures, thresholds = None, None
        for attachment in _attachments(result.get("steps", [])):
            source = results_dir / attachment.get("source", "")
            kind = attachment.get("type", "")
            if not source.is_file() or kind not in ("application/json", "text/csv"):
                continue
            text = source.read_text(encoding="utf-8", errors="replace")
            if kind == "application/json":
                figures = _figures(text) or figures
            else:
                thresholds = _thresholds(text) or thresholds
        if figures is not None:
            runs.append(
                LoadRun(
                    profile=str(figures["profile"].get("name", "custom")),
                    figures=figures,
                    thresholds=thresholds or SEED_THRESHOLDS,
                    start_ms=int(result.get("start", 0)),
                    stop_ms=int(result.get("stop", result.get("start", 0))),
                )
            )
    return runs
