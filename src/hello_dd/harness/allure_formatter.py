"""allure-behave's formatter, made to see scenarios inside ``Rule:`` blocks.

allure-behave 2.16 only looks at ``feature.scenarios``, which in behave 1.3 leaves out the scenarios
grouped under rules: they would run without an Allure test case, and attaching evidence to them
fails. Walking all of the feature's scenarios fixes both. Use it as
``-f hello_dd.harness.allure_formatter:AllureFormatter`` (behave.ini does).
"""

from __future__ import annotations

from allure_behave.formatter import AllureFormatter as _AllureFormatter


class AllureFormatter(_AllureFormatter):
    def feature(self, feature):
        self._wrap_scenario(feature.walk_scenarios())
