"""behave's runner with a dry run that reads right and writes nothing (behave.ini: ``runner = ...``).

``behave --dry-run`` lists every scenario and step without a stack. Plain behave 1.3 gets two things
wrong there for this suite:
- it writes the reports: the JUnit files, the Allure results and reports/rerun.txt of the last real
  run are replaced by a run in which nothing ran. Here a dry run keeps only the formatters that write to
  the console, and no JUnit reporter;
- it counts a feature as failed when a Scenario Outline comes before its other scenarios: an outline
  none of whose scenarios ran says "passed", and a "passed" item followed by an untested one reads to
  behave as an aborted run. Here such an outline is untested, as its scenarios are.

In a real run it gets one thing wrong: a feature's duration adds up only the scenarios outside its
Rules, so the JUnit file gave every feature written in Rules a time of 0. Here a feature's duration is
that of all its scenarios, those of its Rules included. Otherwise a real run is behave's own.
"""

from __future__ import annotations

import sys
from typing import Any

from behave.model import Feature, ScenarioOutline, Status
from behave.reporter.junit import JUnitReporter
from behave.runner import Runner


class _DryRunOutline(ScenarioOutline):
    """An outline whose scenarios were all left untested is untested too, not passed."""

    def compute_status(self) -> Any:
        scenarios = list(self.scenarios)
        if scenarios and all(scenario.status == Status.untested for scenario in scenarios):
            return Status.untested
        return super().compute_status()


class _FeatureWithRules(Feature):
    """A feature whose duration counts the scenarios of its Rules too (the JUnit file's time)."""

    @property
    def duration(self) -> float:
        return float(sum(scenario.duration for scenario in self.walk_scenarios()))


def _writes_to_console(opener: Any) -> bool:
    return opener.stream in (sys.stdout, sys.stderr) or opener.name in (None, "-")


class SpecRunner(Runner):
    def run_with_paths(self) -> Any:
        if self.config.dry_run:
            self._console_only()
        return super().run_with_paths()

    def run_model(self, features: Any = None) -> Any:
        for feature in features or self.features:
            if type(feature) is Feature:
                feature.__class__ = _FeatureWithRules
        if self.config.dry_run:
            for feature in features or self.features:
                for item in feature.walk_scenarios(with_outlines=True):
                    if isinstance(item, ScenarioOutline):
                        item.__class__ = _DryRunOutline
        return super().run_model(features)

    def _console_only(self) -> None:
        """Drop every formatter that writes a file, and the JUnit reporter."""
        config = self.config
        outputs = list(config.outputs)
        kept = [
            (name, outputs[i] if i < len(outputs) else None)
            for i, name in enumerate(config.format)
            if i >= len(outputs) or _writes_to_console(outputs[i])
        ]
        config.format = [name for name, _ in kept]
        config.outputs = [opener for _, opener in kept if opener is not None]
        config.reporters = [r for r in config.reporters if not isinstance(r, JUnitReporter)]
        config.junit = False
