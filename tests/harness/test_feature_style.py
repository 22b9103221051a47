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
# Features being rewritten elsewhere at the moment; the line and action checks below cover every
# other feature now and these two once their rewrite lands (remove them from this set then).
KNOWN_PENDING = {"durability.feature", "tracing.feature"}


def _checked(path: Path) -> Path:
    if path.name in KNOWN_PENDING:
        pytest.xfail(f"{path.name} is being rewritten; its long lines are fixed when it lands")
    return path


@pytest.mark.parametrize("path", FEATURES, ids=lambda p: p.name)
def test_no_step_or_table_row_is_too_long_to_read(path):
    too_long = []
    for number, line in enumerate(_checked(path).read_text().splitlines(), start=1):
        text = line.strip()
        limit = MAX_STEP_LINE if STEP_LINE.match(text) else MAX_ROW_LINE if text[:1] == "|" else 0
        if limit and len(text) > limit:
            too_long.append(f"{path.name}:{number}: {len(text)} characters (at most {limit})")
    assert too_long == []


@pytest.mark.parametrize("path", FEATURES, ids=lambda p: p.name)
def test_no_scenario_takes_a_second_action(path):
    second = []
    for scenario in parse_file(str(_checked(path))).walk_scenarios():
        whens = [step for step in scenario.steps if step.step_type == "when"]
        if len(whens) > 1:
            second.append(f"{path.name}:{whens[1].line} {whens[1].keyword} {whens[1].name}")
    assert second == []
