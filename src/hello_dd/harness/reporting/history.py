"""Allure 3's history file across runs: one JSON line per run, kept in ``reports/``.

Allure appends a line each time it builds a report. Building the report of one run twice (say, once
as a directory and once as a single file) would then count that run twice, and the second report
would list the run as its own previous result. So each build works on a copy of the history without
the lines of the results it is building (Allure keys each line's entries by the MD5 of the result's
uuid), lets Allure append this run to the copy, and puts the copy in place only when the report was
built. A rebuild therefore replaces its run's line, and a failed build leaves the history alone.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HISTORY = Path("reports/allure-history.jsonl")


def result_ids(results_dir: Path) -> set[str]:
    """The ids Allure gives the results in ``results_dir`` (MD5 of each result's uuid)."""
    ids = set()
    for path in results_dir.glob("*-result.json"):
        try:
            uuid = json.loads(path.read_text(encoding="utf-8")).get("uuid")
        except ValueError:
            continue
        if uuid:
            ids.add(hashlib.md5(uuid.encode()).hexdigest())
    return ids


def entry_ids(line: str) -> set[str]:
    """The result ids of one history line."""
    try:
        entry = json.loads(line)
    except ValueError:
        return set()
    results = entry.get("testResults", {}).values()
    return {item["id"] for item in results if isinstance(item, dict) and isinstance(item.get("id"), str)}


@dataclass(frozen=True)
class WorkingHistory:
    """The copy Allure reads and appends to, and the history file it replaces once the build is done."""

    history: Path
    copy: Path
    earlier_runs: int
    replaced_runs: int

    def commit(self) -> None:
        self.history.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(self.copy, self.history)


def prepare(history: Path, results_dir: Path, scratch: Path) -> WorkingHistory:
    """A working copy of ``history`` in ``scratch`` without the lines of ``results_dir``'s results."""
    text = history.read_text(encoding="utf-8") if history.is_file() else ""
    lines = [line for line in text.splitlines() if line.strip()]
    ids = result_ids(results_dir)
    earlier = [line for line in lines if not (entry_ids(line) & ids)]
    copy = scratch / "allure-history.jsonl"
    copy.write_text("".join(line + "\n" for line in earlier), encoding="utf-8")
    return WorkingHistory(
        history=history, copy=copy, earlier_runs=len(earlier), replaced_runs=len(lines) - len(earlier)
    )
