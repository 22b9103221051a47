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
