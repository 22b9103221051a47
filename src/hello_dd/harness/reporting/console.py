"""The suite's console output: every feature, scenario and step written once, with its outcome.

behave's ``pretty`` and ``plain`` formatters print each step twice when the output is not a terminal
(once before running it, once with its result), which makes CI logs hard to read. This one waits for
the result and writes one line per step, the failure text under a failing step, and the reason under
a skipped scenario.
"""

from __future__ import annotations

import time

from behave.formatter.base import Formatter

_MARKS = {
    "passed": "✓",
    "failed": "✗",
    "error": "✗",
    "hook_error": "✗",
    "skipped": "-",
    "untested": "-",
    "undefined": "?",
}


class SpecConsole(Formatter):
    name = "spec"
    description = "One line per step with its outcome; failure text and skip reasons in place."

    def __init__(self, stream_opener, config):
        super().__init__(stream_opener, config)
        self.stream = self.open()
        self._scenario = None
        self._hidden = False
        self._step_started = time.perf_counter()

    def _write(self, text: str = "") -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def feature(self, feature):
        self._hidden = not feature.should_run(self.config)  # left out by --tags or a name filter
        if self._hidden:
            return
        self._write()
        tags = " ".join(f"@{tag}" for tag in feature.tags)
        if tags:
            self._write(tags)
        self._write(f"Feature: {feature.name}")
        for line in feature.description:
            self._write(f"  {line}")

    def rule(self, rule):
        if self._hidden or not rule.should_run(self.config):
            return
        self._write()
        self._write(f"  Rule: {rule.name}")

    def scenario(self, scenario):
        self._finish_scenario()
        if not scenario.should_run(self.config):
            return  # not selected in this run: only the summary counts it
        self._scenario = scenario
        self._write()
        self._write(f"    Scenario: {scenario.name}    # {scenario.location}")

    def match(self, match):
        self._step_started = time.perf_counter()

    def result(self, step):
        # behave sets step.duration only after the formatters have seen the result: time it here.
        elapsed = time.perf_counter() - self._step_started if step.status.name != "skipped" else 0.0
        mark = _MARKS.get(step.status.name, "?")
        self._write(f"      {mark} {step.keyword} {step.name}  ({step.status.name}, {elapsed:.2f}s)")
        if step.error_message and step.status.name != "passed":
            for line in step.error_message.rstrip().splitlines():
                self._write(f"          {line}")

    def _finish_scenario(self) -> None:
        scenario = self._scenario
        if scenario is not None and scenario.status.name == "skipped" and getattr(scenario, "skip_reason", None):
            self._write(f"      - skipped: {scenario.skip_reason}")
        self._scenario = None

    def eof(self):
        self._finish_scenario()

    def close(self):
        self._finish_scenario()
        self.close_stream()
