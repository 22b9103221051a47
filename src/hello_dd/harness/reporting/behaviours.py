"""Where a scenario sits in the report, from the spec's own structure: epic (the feature's area),
feature, story (the rule), suite (the feature file) and severity (Allure's own tags).

Severity comes from the tags ``@blocker @critical @normal @minor @trivial``: the scenario's own tag
wins over its outline's, its rule's and its feature's; without one it is ``normal``. A scenario
outside any rule gets its feature's name as story, so the Behaviors tree never has a gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hello_dd.harness.reporting.areas import epic_of

SEVERITIES = ("blocker", "critical", "normal", "minor", "trivial")
DEFAULT_SEVERITY = "normal"


def _levels(scenario: Any) -> list[Any]:
    """The scenario and its parents, nearest first: scenario, outline, rule, feature."""
    levels: list[Any] = []
    node = scenario
    while node is not None and len(levels) < 8:
        levels.append(node)
        node = getattr(node, "parent", None)
    feature = getattr(scenario, "feature", None)
    if feature is not None and all(level is not feature for level in levels):
        levels.append(feature)
    return levels


def tags_nearest_first(scenario: Any) -> list[str]:
    """The scenario's tags, then its outline's, its rule's and its feature's, each in written order."""
    return [tag for level in _levels(scenario) for tag in getattr(level, "tags", ())]


def severity_of(scenario: Any) -> str:
    """The severity tag of the nearest level that has one (the last one written on that level)."""
    for level in _levels(scenario):
        found = [tag for tag in getattr(level, "tags", ()) if tag in SEVERITIES]
        if found:
            return found[-1]
    return DEFAULT_SEVERITY


def rule_of(scenario: Any) -> Any | None:
    return next((level for level in _levels(scenario) if type(level).__name__ == "Rule"), None)


def suite_of(filename: str | None, root: Path) -> str:
    """The feature file, relative to ``root`` when it is inside it (``features/checkout.feature``)."""
    if not filename or filename == "<string>":
        return "(no file)"
    path = Path(filename)
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


@dataclass(frozen=True)
class Behaviour:
    epic: str
    feature: str
    story: str
    suite: str
    sub_suite: str | None
    severity: str

    @classmethod
    def of(cls, scenario: Any, root: Path) -> Behaviour:
        feature = scenario.feature
        rule = rule_of(scenario)
        return cls(
            epic=epic_of(feature.tags),
            feature=feature.name,
            story=rule.name if rule is not None else feature.name,
            suite=suite_of(getattr(feature, "filename", None), root),
            sub_suite=rule.name if rule is not None else None,
            severity=severity_of(scenario),
        )

    def labels(self) -> dict[str, str]:
        """Allure label name -> value (each of these labels appears once on a result)."""
        labels = {
            "epic": self.epic,
            "feature": self.feature,
            "story": self.story,
            "suite": self.suite,
            "severity": self.severity,
        }
        if self.sub_suite:
            labels["subSuite"] = self.sub_suite
        return labels
