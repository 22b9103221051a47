"""allure-behave's formatter, made to see scenarios inside ``Rule:`` blocks and to write each result
the way the report presents the spec.

allure-behave 2.16 only looks at ``feature.scenarios``, which in behave 1.3 leaves out the scenarios
grouped under rules: they would run without an Allure test case, and attaching evidence to them fails.
Walking all of the feature's scenarios fixes both. allure-behave offers no public hook for which
scenarios a feature has, so :meth:`AllureFormatter.feature` does what its own does, with public parts
only: each scenario's run wrapped as an Allure test (``allure_commons.test``), then checked against the
test plan (``allure_behave.utils.is_planned_scenario``).

Each scenario's result is completed just before it is written (``ScenarioResults``): epic, feature,
story, suite and severity labels (``behaviours``), links to its contract items and to the glossary
(``links``), and for a scenario that did not run, why (``selection``). Everything else (steps, their
attachments, statuses, history ids, ``-D AllureFormatter.issue_pattern=...``) stays allure-behave's.

Use it as ``-f hello_dd.harness.reporting.formatter:AllureFormatter`` (behave.ini does).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import allure_commons
from allure_behave.formatter import AllureFormatter as _AllureFormatter
from allure_behave.utils import is_planned_scenario
from allure_commons.model2 import Label, Link, StatusDetails

from hello_dd.harness.reporting.behaviours import Behaviour, tags_nearest_first
from hello_dd.harness.reporting.links import DocumentLinks
from hello_dd.harness.reporting.selection import SELECTION_LABEL, not_run_message, selection_of

# allure-behave's names for a step's table and doc string, and what a reader is shown instead.
STEP_DATA_NAMES = {".table": "Step table", ".text": "Step text"}


class ScenarioResults:
    """An allure-commons plugin: completes each scenario's result before the file logger writes it."""

    def __init__(self, config: Any, root: Path):
        self.config = config
        self.root = root
        self.links = DocumentLinks.from_userdata(config.userdata, root)
        self._scenario: Any = None

    @allure_commons.hookimpl
    def start_test(self, context):
        self._scenario = context["scenario"]

    @allure_commons.hookimpl(tryfirst=True)
    def report_result(self, result):
        scenario, self._scenario = self._scenario, None
        if scenario is not None:
            self.complete(result, scenario)

    def complete(self, result: Any, scenario: Any) -> None:
        behaviour = Behaviour.of(scenario, self.root).labels()
        result.labels = [label for label in result.labels if label.name not in behaviour]
        result.labels += [Label(name=name, value=value) for name, value in behaviour.items()]
        known = {link.url for link in result.links}
        result.links += [
            Link(type=link.type, url=link.url, name=link.name)
            for link in self.links.for_tags(tags_nearest_first(scenario))
            if link.url not in known
        ]
        selection = selection_of(scenario, self.config)
        result.labels.append(Label(name=SELECTION_LABEL, value=selection))
        if result.status == "skipped" and result.statusDetails is None:
            result.statusDetails = StatusDetails(message=not_run_message(scenario, selection))
        _rename_step_data(result.steps)

    def warnings(self) -> list[str]:
        if not self.links.unknown_ids:
            return []
        return [f"@contract ids with no anchor in docs/contract.md: {', '.join(sorted(self.links.unknown_ids))}"]


def _rename_step_data(steps: list[Any]) -> None:
    for step in steps:
        for attachment in step.attachments:
            attachment.name = STEP_DATA_NAMES.get(attachment.name, attachment.name)
        _rename_step_data(step.steps)


class AllureFormatter(_AllureFormatter):
    def __init__(self, stream_opener, config):
        super().__init__(stream_opener, config)
        self.results = ScenarioResults(config, Path.cwd())
        allure_commons.plugin_manager.register(self.results)

    def feature(self, feature):
        # walk_scenarios: those under rules too, and each example of an outline (not the outline itself).
        for scenario in feature.walk_scenarios():
            scenario.run = allure_commons.test(scenario.run, context={"scenario": scenario})
            is_planned_scenario(scenario, self.testplan)

    def close(self):
        try:
            super().close()
        finally:
            name = allure_commons.plugin_manager.get_name(self.results)
            if allure_commons.plugin_manager.has_plugin(name):
                allure_commons.plugin_manager.unregister(name=name)
            for warning in self.results.warnings():
                print(f"hello-dd report: {warning}", file=sys.stderr)
