"""The load figures of a run as Allure 3 metrics, so the report's Metrics view shows them next to
their earlier values (the history file keeps each run's) and quality gates can check them.

Nothing new is recorded during the run: a load scenario attaches its results (a JSON file with
``profile``, ``overall``, ``endpoints`` and ``checks``, see ``harness.load.runner``) and its thresholds
table (``| measure | limit |``, read by ``harness.load.profile.thresholds_from_table``) to its steps.
They are read back here from the run's Allure results, so the figures and the thresholds are exactly
those of the scenario that ran, whichever profile the run chose, and stale files from older runs
never count. Each load scenario (one per Examples row) keeps metrics of its own, keyed by its name.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hello_dd.harness.load.profile import CHECKS, Thresholds, thresholds_from_table

RAN = {"passed", "failed", "broken"}
# behave names an outline's scenarios "<name> -- @<row> <examples name>"; the name alone is stable.
_OUTLINE_ROW = re.compile(r"\s+--\s+@\d.*$")


def scenario_name(result_name: str) -> str:
    return _OUTLINE_ROW.sub("", result_name).strip()


def check_shares(checks: dict[str, int]) -> dict[str, float]:
    """The share (0..1) of a run's answers that passed each check, by the words of ``CHECKS``."""
    counted = checks.get("requests", 0)
    return {name: (checks.get(key, 0) / counted if counted else 0.0) for name, (key, _) in CHECKS.items()}


@dataclass(frozen=True)
class LoadRun:
    """One load scenario's figures (the runner's JSON) and thresholds (None: no table found)."""

    name: str
    figures: dict[str, Any]
    thresholds: Thresholds | None
    start_ms: int
    stop_ms: int

    @property
    def profile(self) -> str:
        return str(self.figures["profile"].get("name", "custom"))

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")

    def key(self, measure: str) -> str:
        return f"load.{self.slug}.{measure}"

    def metrics(self) -> list[dict[str, Any]]:
        """Allure metric samples: overall p95, p99, average, error rate and throughput, the share of
        answers passing each check, and each endpoint's p95."""
        overall = self.figures["overall"]
        rows = [
            ("p95_ms", "p95 latency", overall["p95_ms"], "ms", "lower"),
            ("p99_ms", "p99 latency", overall["p99_ms"], "ms", "lower"),
            ("average_ms", "average latency", round(overall["average_ms"], 1), "ms", "lower"),
            ("error_rate_pct", "error rate", round(100.0 * overall["error_rate"], 2), "%", "lower"),
            ("throughput_rps", "throughput", round(overall["throughput_rps"], 1), "req/s", "higher"),
        ]
        if self.figures.get("checks", {}).get("requests"):
            rows += [
                (f"check.{CHECKS[name][0]}_pct", name, round(100.0 * share, 2), "%", "higher")
                for name, share in check_shares(self.figures["checks"]).items()
            ]
        rows += [
            (f"p95_ms.{endpoint['name']}", f"p95 latency of {endpoint['name']}", endpoint["p95_ms"], "ms", "lower")
            for endpoint in self.figures.get("endpoints", [])
        ]
        group = {"group": f"load-{self.slug}", "groupTitle": f"Load: {self.name}"}
        return [
            {
                "id": f"load-{self.slug}",
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
            start = int(result.get("start", 0))
            name = scenario_name(result.get("name", "load"))
            runs.append(LoadRun(name, figures, thresholds, start, int(result.get("stop", start))))
    return runs
