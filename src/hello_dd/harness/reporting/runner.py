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

``-D reports_dir=DIR`` moves every report of the run to DIR: the files behave.ini sends to ``reports/``
(the Allure results, rerun.txt) and the JUnit directory, when given there, go to DIR instead. Each stack
of a run on several stacks side by side writes its reports in a directory of its own this way
(``hello_dd.harness.reporting.stacks``).
"""

from __future__ import annotations

import sys
from pathlib import Path
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


#: Where behave.ini sends the reports, and where environment.py writes its own unless told otherwise.
DEFAULT_REPORTS_DIR = Path("reports")


def moved_report(path: str, reports_dir: Path) -> str:
    """``path`` in ``reports_dir`` instead, when it is one of the default reports directory's paths."""
    relative = Path(path)
    if relative.is_absolute() or not relative.is_relative_to(DEFAULT_REPORTS_DIR):
        return path
    return str(reports_dir / relative.relative_to(DEFAULT_REPORTS_DIR))


class SpecRunner(Runner):
    def run_with_paths(self) -> Any:
        self._move_reports()
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

    def _move_reports(self) -> None:
        """Send the reports of behave.ini's ``reports/`` to ``-D reports_dir`` when it names another."""
        config = self.config
        reports_dir = Path(config.userdata.get("reports_dir", str(DEFAULT_REPORTS_DIR)))
        if reports_dir == DEFAULT_REPORTS_DIR:
            return
        config.outfiles = [moved_report(path, reports_dir) for path in config.outfiles or []]
        for opener in config.outputs:
            if opener.name not in (None, "-") and opener.stream is None:
                opener.name = moved_report(opener.name, reports_dir)
        if config.junit_directory:
            config.junit_directory = moved_report(config.junit_directory, reports_dir)

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
