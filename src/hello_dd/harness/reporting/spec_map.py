"""Writes ``reports/spec-map.md``: every item of the contract, the scenarios that prove it
(``feature:line``) and how they came out in this run. An item no scenario names is **not covered**;
an item checked outside the specification says by what. Scenarios naming an item the contract does
not have are listed too, so a typo in a tag cannot hide."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hello_dd.harness.reporting.contract import ContractItem, contract_ids
from hello_dd.harness.reporting.markdown_report import ScenarioOutcome

NOT_COVERED = "**not covered**"


@dataclass(frozen=True)
class ItemCoverage:
    item: ContractItem
    outcomes: tuple[ScenarioOutcome, ...]

    @property
    def verdict(self) -> str:
        if not self.outcomes:
            return f"checked by `{self.item.checked_by}`" if self.item.checked_by else NOT_COVERED
        statuses = {o.status for o in self.outcomes}
        if "failed" in statuses:
            return "**failed**"
        if "passed" in statuses:
            return "passed" if statuses == {"passed"} else "passed (some skipped in this run)"
        return "skipped in this run"


def coverage(items: Sequence[ContractItem], outcomes: Sequence[ScenarioOutcome]) -> list[ItemCoverage]:
    return [ItemCoverage(item, tuple(o for o in outcomes if item.id in contract_ids(o.tags))) for item in items]


def unknown_ids(items: Sequence[ContractItem], outcomes: Sequence[ScenarioOutcome]) -> dict[str, list[str]]:
    """Contract ids scenarios name that the contract does not have, with the scenarios naming them."""
    known = {item.id for item in items}
    found: dict[str, list[str]] = {}
    for outcome in outcomes:
        for cid in contract_ids(outcome.tags):
            if cid not in known:
                found.setdefault(cid, []).append(outcome.location)
    return found


def _scenario_cell(outcomes: Sequence[ScenarioOutcome]) -> str:
    seen: dict[str, str] = {}
    for o in outcomes:
        # One line per scenario location; an outline's rows share the outline's name.
        seen.setdefault(o.location, f"`{o.location}` {o.scenario} ({o.status})")
    return "<br>".join(seen.values())


def render_spec_map(items: Sequence[ContractItem], outcomes: Sequence[ScenarioOutcome], *, stack: str) -> str:
    covered = coverage(items, outcomes)
    uncovered = [c for c in covered if c.verdict == NOT_COVERED]
    lines = [
        "# Spec map",
        "",
        f"Each item of [the contract](../docs/contract.md), the scenarios that prove it and how they came out "
        f"in this run ({stack}).",
        "",
        f"- Contract items: {len(items)}; not covered by any scenario: {len(uncovered)}"
        + (f" ({', '.join(c.item.id for c in uncovered)})" if uncovered else ""),
        f"- Scenarios run or skipped: {len(outcomes)}",
        "",
    ]
    section = None
    for entry in covered:
        if entry.item.section != section:
            section = entry.item.section
            lines += ["", f"## {section}", "", "| item | what it says | proved by | outcome |", "|---|---|---|---|"]
        link = f"[{entry.item.id}](../docs/contract.md#{entry.item.id})"
        cell = _scenario_cell(entry.outcomes) or "-"
        lines.append(f"| {link} | {entry.item.title.replace('|', '/')} | {cell} | {entry.verdict} |")
    if strays := unknown_ids(items, outcomes):
        lines += ["", "## Tags naming no contract item", ""]
        lines += [f"- `@contract:{cid}` on {', '.join(locations)}" for cid, locations in sorted(strays.items())]
    return "\n".join(lines) + "\n"


def write_spec_map(
    path: Path, items: Sequence[ContractItem], outcomes: Sequence[ScenarioOutcome], *, stack: str
) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_spec_map(items, outcomes, stack=stack), encoding="utf-8")
    return path
