"""Which scenarios a run selected, so "no skipped scenario" counts only skips that lost evidence.

A run leaves a scenario out in two ways on purpose, and both are reported, never counted against it:
- **not selected**: the run's ``--tags`` or ``--name`` left it out (the console does not print it
  either, only its summary counts it);
- **not runnable here**: the suite skipped it with a stated reason before any of its steps ran,
  because the run's configuration cannot run it (another ``-D load_profile``, or a stack that cannot
  cut the network or check Datadog traces). The reason is the result's status message.

Every other skipped or untested scenario was **selected** and did not run: a step skipped the rest of
it, or the run stopped early. Those are what the "no skipped scenario" quality gate counts.

The verdict is written on each result as the hidden label ``_selection`` (Allure hides labels that
start with ``_``), where the quality gate reads it.
"""

from __future__ import annotations

from typing import Any

SELECTION_LABEL = "_selection"
SELECTED = "selected"
NOT_SELECTED = "not selected"
NOT_RUNNABLE = "not runnable here"

_NOT_RUN = {"skipped", "untested", "untested_pending", "untested_undefined"}


def _status(item: Any) -> str:
    status = getattr(item, "status", None)
    return getattr(status, "name", str(status))


def selection_of(scenario: Any, config: Any) -> str:
    """The scenario's place in the run: SELECTED, NOT_SELECTED or NOT_RUNNABLE."""
    if _status(scenario) not in _NOT_RUN:
        return SELECTED
    by_tags = scenario.should_run_with_tags(config.tag_expression)
    if not (by_tags and scenario.should_run_with_name_select(config)):
        return NOT_SELECTED
    reason = getattr(scenario, "skip_reason", None)
    if reason and all(_status(step) in _NOT_RUN for step in scenario.all_steps):
        return NOT_RUNNABLE
    return SELECTED


def not_run_message(scenario: Any, selection: str) -> str:
    """Why a scenario did not run, for its result's status message."""
    reason = getattr(scenario, "skip_reason", None)
    if selection == NOT_SELECTED:
        return "Not selected in this run: its --tags or --name options leave it out."
    if selection == NOT_RUNNABLE:
        return f"Not runnable in this run's configuration: {reason}"
    if _status(scenario).startswith("untested"):
        return "Selected but not run: the run stopped before it (a failure with --stop, an abort or Ctrl-C)."
    return f"Selected but skipped: {reason}" if reason else "Selected but skipped, with no reason given."
