"""Which scenarios this run cannot run, and why: behave's active tags.

A scenario that needs what only some stacks or runs have says so with an active tag,
``@use.with_<category>=<value>`` (behave's :class:`~behave.tag_matcher.ActiveTagMatcher`), on the scenario,
its rule, its examples or its feature. The matcher decides from this run's values: the stack provider's
capabilities, the run's ``-D`` options and the test hooks the stack has (probed when first asked about);
the reason table below words why, naming what is needed and which option gives it. That reason is what
the report shows for the skipped scenario (harness.reporting.selection: "not runnable here").

| tag | needs |
|---|---|
| ``@use.with_stack_control=yes`` | a stack the suite runs itself: it stops, kills, restarts or slows down services |
| ``@use.with_service_logs=yes`` | the services' log lines |
| ``@use.with_network_control=yes`` | cutting a service off the network (``-D stack=containers``) |
| ``@use.with_redis_cache=yes`` | pricing-service caching in Redis |
| ``@use.with_datadog_traces=yes`` | services that send Datadog-format traces (``-D tracer=ddtrace``) |
| ``@use.with_trace_agent=yes`` | the test agent, to read the traces back |
| ``@use.with_hook.<name>=yes`` | a test hook (harness.hooks) |
| ``@use.with_span_budget=yes`` | a stack held to the reference stack's span budgets |
| ``@use.with_load_profile=<name>`` | the run's load profile (``-D load_profile=...``, short by default) |
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from behave.tag_matcher import ActiveTagMatcher, ActiveTagValueProvider

from hello_dd.harness.hooks import HOOKS, HookProbe
from hello_dd.harness.load.profile import DEFAULT_PROFILE
from hello_dd.harness.providers.base import StackProvider
from hello_dd.topology import GATEWAY, NAMES, PRICING, TEST_AGENT

YES, NO = "yes", "no"

#: What a scenario cannot run without on some stacks, by category: the reason names what it needs and
#: which option gives it ({services}: the services the scenario's steps name).
CANNOT = {
    "stack_control": (
        "it needs to stop, kill, restart or slow down {services}; only a stack the suite runs itself"
        " (-D stack=local, containers or compose) can"
    ),
    "service_logs": f"it needs to read the log lines of {', '.join(NAMES)}",
    "network_control": "it needs to cut a service off the network, which only -D stack=containers can do",
    "redis_cache": f"{PRICING.name} caches in process here: give -D redis_url=redis://... or run -D stack=containers",
    "datadog_traces": "the test agent checks only Datadog-format traces: run it with -D tracer=ddtrace",
    "trace_agent": (
        f"it reads the traces back from the test agent: give -D {TEST_AGENT.url_option}=... and, unless the services"
        f" run ddtrace (-D tracer=ddtrace), -D {TEST_AGENT.otlp_url_option}=... (the agent's OTLP port)"
    ),
}
SPAN_BUDGET = (
    "the span budgets are the reference stack's own design (docs/tracing.md), not the contract's, and this"
    " stack may be another implementation; -D span_budget=true holds it to them too (make test-compose does,"
    " for the repository's own compose files)"
)
LOAD_PROFILE = "load_profile"
#: The tag of a scenario that reads its traces back: it gets a test-agent session of its own.
TRACE_AGENT_TAG = f"use.with_trace_agent={YES}"
#: The order the categories are asked in: a scenario that lacks several is skipped with the first reason.
ORDER = [*CANNOT, *HOOKS, "span_budget", LOAD_PROFILE]


def _yes(flag: bool) -> str:
    return YES if flag else NO


def services_named(scenario: Any) -> str:
    """The services a scenario's steps name, for a reason to name them; a step that names none speaks of
    the shop, which is the gateway and the services behind it."""
    steps = " ".join(step.name for step in scenario.steps)
    named = [name for name in NAMES if name in steps]
    return " and ".join(named) if named else f"{GATEWAY.name} (the shop) or a service behind it"


class ScenarioSkips:
    """Decides, with behave's active-tag matcher, whether this run can run a scenario, and words why not."""

    def __init__(self, provider: StackProvider, userdata: Any, hooks: HookProbe):
        """``userdata``: the run's ``-D`` options (behave's UserData)."""
        self.provider = provider
        self.hooks = hooks
        self.load_profile = userdata.get("load_profile") or DEFAULT_PROFILE
        span_budget = userdata.getbool("span_budget", False)
        # Each value is asked for only when a scenario's tags name its category (pricing's /health, a hook's
        # probe), and again each time: the matcher's value provider calls these.
        values: dict[str, Callable[[], str]] = {
            "stack_control": lambda: _yes(provider.controls_stack),
            "service_logs": lambda: _yes(provider.reads_logs),
            "network_control": lambda: _yes(provider.cuts_network),
            "redis_cache": lambda: _yes(provider.caches_in_redis()),
            "datadog_traces": lambda: _yes(provider.sends_datadog_traces),
            "trace_agent": lambda: _yes(provider.reads_traces),
            "span_budget": lambda: _yes(provider.runs_budgeted_configuration or span_budget),
            LOAD_PROFILE: lambda: self.load_profile,
        }
        for category in HOOKS:
            values[category] = partial(self._hook, category)
        self.matcher = ActiveTagMatcher(ActiveTagValueProvider(values), ignore_unknown_categories=False)

    def _hook(self, category: str) -> str:
        return _yes(self.hooks.has(category))

    def reason(self, scenario: Any) -> str | None:
        """Why this run cannot run ``scenario`` (the first category its active tags ask for that this run
        does not have), or None when it can."""
        groups = dict(self.matcher.group_active_tags_by_category(scenario.effective_tags))
        if unknown := sorted(set(groups) - set(ORDER)):
            raise ValueError(
                f"{scenario.name!r} is tagged with unknown active-tag categories {unknown}: known are {ORDER}"
            )
        for category in sorted(groups, key=ORDER.index):
            if not self.matcher.is_tag_group_enabled(category, groups[category]):
                wanted = [match.group("value") for _, match in groups[category]]
                return self._why(category, wanted, scenario)
        return None

    def _why(self, category: str, wanted: list[str], scenario: Any) -> str:
        stack = f"stack={self.provider.name}"
        if category in CANNOT:
            return f"{stack} cannot run this scenario: {CANNOT[category].format(services=services_named(scenario))}"
        if category in HOOKS:
            return f"{stack}: {self.hooks.missing(category)}"
        if category == "span_budget":
            return f"{stack}: {SPAN_BUDGET}"
        return f"load profile {wanted[0]} runs with -D load_profile={wanted[0]} (this run: {self.load_profile})"
