"""The specification's own rules for its readers (features/README.md): every feature names its reader,
every scenario has one When/Then pair and a handful of steps, and a feature written for shoppers,
buyers, analysts or the product owner shows no route, header, status code or metric."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from behave.parser import parse_file

FEATURES = sorted((Path(__file__).resolve().parents[2] / "features").glob("*.feature"))
# Features whose readers are shoppers, buyers, analysts or the product owner.
BUSINESS_AREAS = {"pattern-1", "pattern-2", "pattern-3", "pattern-4", "chaos", "durability"}
TECHNICAL = {
    "a route": re.compile(r"/api/|/inventory/|/prices/|\bGET\b|\bPOST\b"),
    "a header": re.compile(r"X-[A-Z][a-z]+-Id|traceparent|Idempotency-Key"),
    "a status code": re.compile(
        r"\b(answers?|status|code|with)\s+[1-5]\d\d\b|\b[1-5]\d\d\s+(answer|error|response)", re.I
    ),
    "a metric or label": re.compile(r"_total\b|_seconds\b|\w+=\w+"),
    "a tooling word": re.compile(r"\b(proxy|endpoint|JSON|HTTP|request id|span|userdata)\b", re.I),
}
MAX_STEPS = 7


def _steps_text(scenario) -> str:
    return "\n".join(f"{step.keyword} {step.name}" for step in scenario.steps)


@pytest.mark.parametrize("path", FEATURES, ids=lambda p: p.name)
def test_every_feature_names_its_reader_first(path):
    feature = parse_file(str(path))
    assert feature.description and feature.description[0].startswith("For "), feature.description[:1]


@pytest.mark.parametrize("path", FEATURES, ids=lambda p: p.name)
def test_every_scenario_has_one_when_then_pair_and_few_steps(path):
    problems = []
    for scenario in parse_file(str(path)).walk_scenarios():
        kinds = [step.step_type for step in scenario.steps]  # And/But take the type of the step before
        where = f"{path.name}:{scenario.line} {scenario.name}"
        blocks = [kind for i, kind in enumerate(kinds) if i == 0 or kind != kinds[i - 1]]
        if "when" not in kinds:
            problems.append(f"{where}: no When")
        if blocks not in (["given", "when", "then"], ["when", "then"]):
            problems.append(f"{where}: steps run {' / '.join(blocks)}, not (Given /) When / Then")
        if len(kinds) > MAX_STEPS:
            problems.append(f"{where}: {len(kinds)} steps")
    assert problems == []


@pytest.mark.parametrize("path", FEATURES, ids=lambda p: p.name)
def test_a_business_feature_speaks_the_business_language(path):
    feature = parse_file(str(path))
    if not BUSINESS_AREAS & set(feature.tags):
        pytest.skip(f"{path.name} is written for engineers or operations")
    texts = ["\n".join(feature.description)] + [
        "\n".join([scenario.name, *scenario.description, _steps_text(scenario)])
        for scenario in feature.walk_scenarios()
    ]
    found = [
        f"{name}: {match.group(0)!r} in {text.splitlines()[0]!r}"
        for text in texts
        for name, pattern in TECHNICAL.items()
        if (match := pattern.search(text))
    ]
    assert found == []


MAX_STEP_LINE = 100
MAX_ROW_LINE = 120
STEP_LINE = re.compile(r"^(Given|When|Then|And|But) ")


def _assert_none(path: Path, problems: list[str]) -> None:
    assert problems == [], path.name


def _too_long(path: Path) -> list[str]:
    found = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        text = line.strip()
        limit = MAX_STEP_LINE if STEP_LINE.match(text) else MAX_ROW_LINE if text[:1] == "|" else 0
        if limit and len(text) > limit:
            found.append(f"{path.name}:{number}: {len(text)} characters (at most {limit})")
    return found


def _second_actions(path: Path) -> list[str]:
    """A When after the first (an And/But after a When takes its type): a scenario does one thing."""
    found = []
    for scenario in parse_file(str(path)).walk_scenarios():
        whens = [step for step in scenario.steps if step.step_type == "when"]
        found += [f"{path.name}:{step.line} {step.keyword} {step.name}" for step in whens[1:]]
    return found


@pytest.mark.parametrize("path", FEATURES, ids=lambda p: p.name)
def test_no_step_or_table_row_is_too_long_to_read(path):
    _assert_none(path, _too_long(path))


@pytest.mark.parametrize("path", FEATURES, ids=lambda p: p.name)
def test_no_scenario_takes_a_second_action(path):
    _assert_none(path, _second_actions(path))


def test_the_checks_find_what_they_look_for(tmp_path):
    feature = tmp_path / "sample.feature"
    feature.write_text(
        "Feature: sample\n  For testing.\n\n  Scenario: two actions\n"
        f"    When a shopper looks up product 123\n    And {'x' * 100}\n    Then it is shown\n"
        f"      | {'y' * 120} |\n"
    )
    assert [line.split(":")[1] for line in _too_long(feature)] == ["6", "8"]
    assert len(_second_actions(feature)) == 1
