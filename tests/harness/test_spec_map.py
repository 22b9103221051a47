"""docs/contract.md as data, the spec map written from a run, and the features' contract tags: every
item of the contract is proved by a scenario (or names the test that checks it), and every tag names
an item that exists."""

from __future__ import annotations

from pathlib import Path

import pytest
from behave.parser import parse_file

from hello_dd.harness.reporting.contract import ContractError, contract_ids, load_contract, parse_contract
from hello_dd.harness.reporting.markdown_report import ScenarioOutcome
from hello_dd.harness.reporting.spec_map import NOT_COVERED, coverage, render_spec_map

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = load_contract(ROOT / "docs" / "contract.md")


def _feature_scenarios():
    for path in sorted((ROOT / "features").glob("*.feature")):
        feature = parse_file(str(path))
        for scenario in feature.walk_scenarios():
            yield path.name, scenario


def test_the_contract_has_items_in_every_section_and_unique_ids():
    assert len(CONTRACT) > 50
    sections = {item.section for item in CONTRACT}
    assert {"Pattern 1: product query", "Pattern 5: cascading failures and circuit breakers", "Load"} <= sections
    assert all(item.statement and item.title for item in CONTRACT)


def test_a_statement_continues_on_its_indented_lines():
    items = parse_contract(
        '## S\n\n- <a id="a-1"></a>**a-1** — first line\n  second line.\n- <a id="b"></a>**b** — x\n'
    )
    assert [(i.id, i.section, i.statement) for i in items] == [("a-1", "S", "first line second line."), ("b", "S", "x")]


def test_a_contract_without_items_or_with_a_repeated_id_is_refused():
    with pytest.raises(ContractError, match="no contract item"):
        parse_contract("# nothing here\n")
    with pytest.raises(ContractError, match="same id: a"):
        parse_contract('- <a id="a"></a>**a** — x\n- <a id="a"></a>**a** — y\n')


def test_every_contract_tag_in_the_features_names_an_item_of_the_contract():
    known = {item.id for item in CONTRACT}
    named = [(name, s.line, cid) for name, s in _feature_scenarios() for cid in contract_ids(s.effective_tags)]
    assert named, "the features carry @contract tags"
    assert [entry for entry in named if entry[2] not in known] == []


def test_every_contract_item_is_proved_by_a_scenario_or_names_its_test():
    named = {cid for _, s in _feature_scenarios() for cid in contract_ids(s.effective_tags)}
    orphans = [item.id for item in CONTRACT if item.id not in named and not item.checked_by]
    assert orphans == []
    for item in CONTRACT:
        if item.checked_by:
            assert (ROOT / item.checked_by).is_file(), item.checked_by


def test_every_scenario_proves_at_least_one_contract_item():
    bare = [f"{name}:{s.line} {s.name}" for name, s in _feature_scenarios() if not contract_ids(s.effective_tags)]
    assert bare == []


def outcome(tags, status="passed", line=3):
    return ScenarioOutcome("F", f"S{line}", tuple(tags), status, f"features/f.feature:{line}")


def test_the_spec_map_shows_each_items_scenarios_and_outcome():
    items = parse_contract(
        "## One\n"
        '- <a id="x"></a>**x** — proved twice.\n'
        '- <a id="y"></a>**y** — nobody proves it.\n'
        '- <a id="z"></a>**z** — a report (checked by `tests/t.py`).\n'
        '- <a id="w"></a>**w** — only skipped.\n'
    )
    outcomes = [
        outcome(["contract:x"], line=3),
        outcome(["@contract:x"], "failed", line=9),
        outcome(["contract:w"], "skipped", line=12),
        outcome(["contract:typo"], line=20),
    ]
    verdicts = {c.item.id: c.verdict for c in coverage(items, outcomes)}
    assert verdicts == {"x": "**failed**", "y": NOT_COVERED, "z": "checked by `tests/t.py`", "w": "skipped in this run"}
    text = render_spec_map(items, outcomes, stack="local")
    assert "not covered by any scenario: 1 (y)" in text
    assert "`features/f.feature:3` S3 (passed)<br>`features/f.feature:9` S9 (failed)" in text
    assert "[x](../docs/contract.md#x)" in text
    assert "- `@contract:typo` on features/f.feature:20" in text
