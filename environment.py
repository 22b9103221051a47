"""behave hooks: start the stack once per run and read its policy, give each scenario its clients and
evidence, run the fixtures its tags name, skip what the stack cannot do with a stated reason, and write
reports/test_report.md and reports/spec-map.md at the end."""

from __future__ import annotations

import signal
from pathlib import Path

from behave.fixture import use_fixture_by_tag
from behave.model_core import Status

from hello_dd.harness import gherkin_types
from hello_dd.harness.fixtures import FIXTURES, ensure_circuits_closed
from hello_dd.harness.hooks import HookProbe
from hello_dd.harness.http import HttpClient
from hello_dd.harness.load import profile as load_profile
from hello_dd.harness.policy import read_policy
from hello_dd.harness.progress import say
from hello_dd.harness.providers import ConfigurationError, StackControlUnavailable, provider_from_userdata
from hello_dd.harness.reporting.contract import ContractError, load_contract
from hello_dd.harness.reporting.evidence import Evidence
from hello_dd.harness.reporting.run_environment import write_environment
from hello_dd.harness.reporting.run_results import RunResults
from hello_dd.harness.skips import TRACE_AGENT_TAG, ScenarioSkips
from hello_dd.harness.world import World

gherkin_types.register()


def _clear_previous_results(context) -> None:
    """Each run's reports describe that run only (-D keep_results=true keeps earlier results)."""
    if context.config.userdata.getbool("keep_results", False):
        return
    for directory in (context.config.junit_directory, *context.config.outfiles):
        path = Path(directory)
        if path.is_dir() and path.resolve().is_relative_to(context.reports_dir.resolve()):
            for item in path.iterdir():
                if item.is_file():
                    item.unlink()


def _interrupt_on_signals() -> None:
    """Ctrl-C, or SIGTERM from a cancelled CI job, aborts the run and after_all still stops the stack.

    SIGTERM's default action would end Python with no cleanup at all, and a shell that starts behave
    in the background makes it ignore SIGINT: both are set to raise KeyboardInterrupt here."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, interrupt)


def before_all(context):
    _interrupt_on_signals()
    userdata = context.config.userdata
    context.reports_dir = Path(userdata.get("reports_dir", "reports"))
    _clear_previous_results(context)
    context.run_results = RunResults()
    context.previous_scenario = None
    try:
        context.contract = load_contract()
        load_profile.check_profile_name(userdata.get("load_profile"))
        context.provider = provider_from_userdata(userdata, context.reports_dir)
    except (ConfigurationError, ContractError, ValueError) as exc:
        # behave reports a failing hook without its message: say it here first.
        say(str(exc))
        raise SystemExit(2) from exc
    say(f"starting the {context.provider.name} stack ...")
    try:
        context.provider.start()
    except Exception as exc:
        say(f"the {context.provider.name} stack did not start: {exc}")
        context.provider.stop()
        raise SystemExit(2) from exc
    except BaseException:
        context.provider.stop()
        raise
    context.stack_description = context.provider.describe()
    context.hooks = HookProbe(context.provider)  # the test hooks the stack has, probed when first needed
    http = HttpClient(context.provider.urls.gateway)
    try:
        context.policy = read_policy(http, userdata)
    finally:
        http.close()
    write_environment(context.config, context.provider)  # the Allure report's environment view
    say(f"verifying {context.stack_description}")
    say(f"policy: {context.policy.describe()}")


def before_scenario(context, scenario):
    # What the scenario's active tags (@use.with_...) ask for and this run lacks skips it, with the reason.
    if reason := ScenarioSkips(context.provider, context.config.userdata, context.hooks).reason(scenario):
        scenario.skip(reason=reason)
        return
    ensure_circuits_closed(context, context.previous_scenario)
    # Fixtures named by the scenario's tags or its feature's (@fixture.<name>), for this scenario's lifetime.
    for tag in scenario.effective_tags:
        if tag in FIXTURES:
            use_fixture_by_tag(tag, context, FIXTURES)
    context.evidence = Evidence()
    context.world = World(context.provider, context.config.userdata, context.evidence, context.policy, context.hooks)
    if TRACE_AGENT_TAG in scenario.effective_tags:
        context.world.traces.start()  # a test-agent session of its own (harness.traces.reader)


def after_step(context, step):
    """A step that asked the stack for what it cannot give (a service whose URL was not passed to an
    external stack, a control it lacks) skips its scenario with the reason, which names what is needed:
    the stack is not at fault, and the scenario says nothing about it."""
    if step.status == Status.error and isinstance(step.exception, StackControlUnavailable):
        step.status = Status.skipped
        context.scenario.skip(reason=f"stack={context.provider.name}: {step.exception}")


def after_scenario(context, scenario):
    world = getattr(context, "world", None)
    if world is not None:
        world.close()
        context.world = None
    context.run_results.add(scenario)
    context.previous_scenario = f"{scenario.location.filename}:{scenario.location.line} ({scenario.name})"
    # No fault outlives its scenario, also a failed one: faults removed, stopped services started again.
    # (Fixtures' clean-ups, such as waiting for circuits to close, run after this.)
    for undone in context.provider.clear_faults():
        say(f"after {scenario.name!r}: {undone}")


def after_all(context):
    provider = getattr(context, "provider", None)
    try:
        if provider is not None:
            provider.stop()
    finally:
        if hasattr(context, "run_results") and hasattr(context, "contract"):
            stack = getattr(context, "stack_description", "the stack did not start")
            for path in context.run_results.write(context.reports_dir, context.contract, stack=stack):
                say(f"wrote {path}")
