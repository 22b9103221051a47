"""Which scenarios a run skips, and the reason it gives: the scenarios' active tags (@use.with_...)
against a stack provider that has some capabilities and lacks others, and the run's -D options."""

from __future__ import annotations

from pathlib import Path

import pytest
from behave.parser import parse_feature, parse_file
from behave.userdata import UserData

from hello_dd.harness.hooks import HOOKS, SET_STOCK
from hello_dd.harness.providers.base import StackProvider, StackUrls
from hello_dd.harness.skips import ORDER, ScenarioSkips

FEATURES = Path(__file__).resolve().parents[2] / "features"


class FakeStack(StackProvider):
    """A stack with no role (no control, faults, network or logs) and the flags it is given."""

    name = "fake"

    def caches_in_redis(self) -> bool:  # the real one asks pricing-service's /health
        return False

    def __init__(
        self,
        reads_traces: bool = False,
        controls_stack: bool = False,
        reads_logs: bool = False,
        cuts_network: bool = False,
        **settings: object,
    ):
        self.trace_agent = "http://127.0.0.1:9" if reads_traces else None
        self.flags = {"controls_stack": controls_stack, "reads_logs": reads_logs, "cuts_network": cuts_network}
        for setting, value in settings.items():
            setattr(self, setting, value)

    # The flags the roles would give (the roles themselves are not needed to decide a skip).
    controls_stack = property(lambda self: self.flags["controls_stack"])  # type: ignore[assignment]
    reads_logs = property(lambda self: self.flags["reads_logs"])  # type: ignore[assignment]
    cuts_network = property(lambda self: self.flags["cuts_network"])  # type: ignore[assignment]

    def start(self) -> None: ...

    def stop(self) -> None: ...

    @property
    def urls(self) -> StackUrls:
        return StackUrls(gateway="http://127.0.0.1:9", trace_agent=self.trace_agent)


class FakeHooks:
    def __init__(self, missing: dict[str, str]):
        self._missing = missing

    def missing(self, category: str) -> str | None:
        return self._missing.get(category)

    def has(self, category: str) -> bool:
        return category not in self._missing


def _skips(stack: StackProvider, hooks_missing: dict[str, str] | None = None, **userdata: str) -> ScenarioSkips:
    return ScenarioSkips(stack, UserData(userdata), FakeHooks(hooks_missing or {}))  # type: ignore[arg-type]


def _scenario(feature: str, name_start: str):
    scenarios = [s for s in parse_file(str(FEATURES / feature)).walk_scenarios() if s.name.startswith(name_start)]
    assert scenarios, name_start
    return scenarios[0]


def _reasons(text: str, skips: ScenarioSkips) -> dict[str, str | None]:
    feature = parse_feature(text)
    return {scenario.name: skips.reason(scenario) for scenario in feature.walk_scenarios()}


def test_a_scenario_tagged_for_a_capability_the_stack_lacks_is_skipped_with_the_reason_naming_the_option():
    scenario = _scenario("resilience.feature", "With pricing-service cut off the network")
    assert "use.with_network_control=yes" in scenario.effective_tags
    assert _skips(FakeStack(controls_stack=True)).reason(scenario) == (
        "stack=fake cannot run this scenario: it needs to cut a service off the network,"
        " which only -D stack=containers can do"
    )
    assert _skips(FakeStack(controls_stack=True, cuts_network=True)).reason(scenario) is None


def test_the_redis_and_datadog_scenarios_name_what_gives_them():
    skips = _skips(FakeStack(controls_stack=True, reads_traces=True))
    redis = _scenario("tracing.feature", "A product query's trace shows pricing's cache look-up")
    datadog = _scenario("tracing.feature", "The trace collector's own checks")
    assert skips.reason(redis) == (
        "stack=fake cannot run this scenario: pricing-service caches in process here:"
        " give -D redis_url=redis://... or run -D stack=containers"
    )
    assert skips.reason(datadog) == (
        "stack=fake cannot run this scenario: the test agent checks only Datadog-format traces:"
        " run it with -D tracer=ddtrace"
    )
    assert _skips(FakeStack(reads_traces=True, tracer="ddtrace")).reason(datadog) is None


def test_stack_control_names_the_services_the_steps_name_and_the_first_missing_need_is_the_reason():
    reasons = _reasons(
        """Feature: f
  @use.with_stack_control=yes @use.with_service_logs=yes
  Scenario: stops pricing
    When pricing-service is stopped
  @use.with_stack_control=yes
  Scenario: names no service
    When a shopper looks up product 123
  @use.with_service_logs=yes
  Scenario: reads logs
    When a shopper looks up product 123
""",
        _skips(FakeStack()),
    )
    assert reasons == {
        "stops pricing": "stack=fake cannot run this scenario: it needs to stop, kill, restart or slow down"
        " pricing-service; only a stack the suite runs itself (-D stack=local, containers or compose) can",
        "names no service": "stack=fake cannot run this scenario: it needs to stop, kill, restart or slow down"
        " api-gateway (the shop) or a service behind it; only a stack the suite runs itself"
        " (-D stack=local, containers or compose) can",
        "reads logs": "stack=fake cannot run this scenario: it needs to read the log lines of"
        " api-gateway, inventory-service, pricing-service",
    }


def test_a_missing_test_hook_skips_with_the_probe_s_reason_and_a_present_one_does_not():
    scenario = _scenario("checkout.feature", "A customer pays for the goods plus tax")
    assert SET_STOCK.tag in scenario.effective_tags
    skips = _skips(FakeStack(), {SET_STOCK.category: "needs inventory-service's PUT ... (a test hook): 404"})
    assert skips.reason(scenario) == "stack=fake: needs inventory-service's PUT ... (a test hook): 404"
    assert _skips(FakeStack()).reason(scenario) is None


def test_span_budgets_hold_the_suite_s_own_stacks_and_others_only_when_asked():
    scenario = _scenario("span_budget.feature", "A product query's trace holds exactly its budget")
    other = FakeStack(reads_traces=True)
    reason = _skips(other).reason(scenario)
    assert reason is not None and reason.startswith("stack=fake: the span budgets are the reference stack's own")
    assert "-D span_budget=true" in reason
    assert _skips(other, span_budget="true").reason(scenario) is None
    assert _skips(FakeStack(reads_traces=True, runs_budgeted_configuration=True)).reason(scenario) is None


def test_only_the_chosen_load_profile_runs():
    feature = parse_file(str(FEATURES / "load.feature"))
    runs = {}
    for profile in (None, "contract"):
        skips = _skips(FakeStack(), **({"load_profile": profile} if profile else {}))
        runs[profile] = {
            scenario.name.split(" -- ")[-1]: skips.reason(scenario)
            for outline in feature.walk_scenarios(with_outlines=True)
            if hasattr(outline, "scenarios")
            for scenario in outline.scenarios
        }
    assert runs[None]["@2.1 the contract's profile (4 minutes)"] == (
        "load profile contract runs with -D load_profile=contract (this run: short)"
    )
    assert runs[None]["@1.1 a short run, every time"] is None
    assert runs["contract"]["@2.1 the contract's profile (4 minutes)"] is None
    assert runs["contract"]["@1.1 a short run, every time"] == (
        "load profile short runs with -D load_profile=short (this run: contract)"
    )


@pytest.mark.parametrize("path", sorted(FEATURES.glob("*.feature")), ids=lambda p: p.name)
def test_every_active_tag_of_the_features_is_one_the_run_knows(path):
    skips = _skips(FakeStack(controls_stack=True, reads_logs=True, cuts_network=True, reads_traces=True))
    for scenario in parse_file(str(path)).walk_scenarios():
        skips.reason(scenario)  # raises on an unknown category


def test_an_unknown_active_tag_is_an_error_not_a_silent_skip():
    with pytest.raises(ValueError, match="use_redis"):
        _reasons("Feature: f\n  @use.with_use_redis=yes\n  Scenario: s\n    When x\n", _skips(FakeStack()))


def test_the_order_of_the_reasons_covers_every_hook():
    assert set(HOOKS) <= set(ORDER)
