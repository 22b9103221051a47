"""behave hooks: start the stack once per run, give each scenario its clients and evidence, skip
what the stack cannot do with a stated reason, and write reports/test_report.md at the end."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from hello_dd.harness import gherkin_types
from hello_dd.harness.evidence import Evidence
from hello_dd.harness.load import profile as load_profile
from hello_dd.harness.providers import ConfigurationError, provider_from_userdata
from hello_dd.harness.run_results import RunResults
from hello_dd.harness.world import World

gherkin_types.register()

# Scenarios tagged with these need something only some providers can do.
NEEDS = {
    "needs-stack-control": ("controls_stack", "it stops services or injects faults"),
    "needs-logs": ("reads_logs", "it reads the services' log lines"),
    "needs-network-control": ("cuts_network", "it cuts a service off the network, which only -D stack=containers can do"),
    "needs-datadog-traces": (
        "sends_datadog_traces",
        "the test agent checks only Datadog-format traces: run it with -D tracer=ddtrace",
    ),
    "tracing": (
        "reads_traces",
        "it reads the traces back from the trace agent: give -D trace_agent_url=... and, unless the services"
        " run ddtrace (-D tracer=ddtrace), -D otlp_url=... (the agent's OTLP port)",
    ),
}


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
    try:
        load_profile.check_profile_name(userdata.get("load_profile"))
        context.provider = provider_from_userdata(userdata, context.reports_dir)
    except (ConfigurationError, ValueError) as exc:
        # behave reports a failing hook without its message: say it here first.
        print(f"hello-dd spec: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from exc
    print(f"hello-dd spec: starting the {context.provider.name} stack ...", file=sys.stderr, flush=True)
    try:
        context.provider.start()
    except Exception as exc:
        print(f"hello-dd spec: the {context.provider.name} stack did not start: {exc}", file=sys.stderr, flush=True)
        context.provider.stop()
        raise SystemExit(2) from exc
    except BaseException:
        context.provider.stop()
        raise
    context.stack_description = context.provider.describe()
    print(f"hello-dd spec: verifying {context.stack_description}", file=sys.stderr, flush=True)


def before_scenario(context, scenario):
    for tag, (capability, why) in NEEDS.items():
        if tag in scenario.effective_tags and not getattr(context.provider, capability):
            scenario.skip(reason=f"stack={context.provider.name} cannot run this scenario: {why}")
            return
    if reason := load_profile.skip_reason(scenario.effective_tags, context.config.userdata.get("load_profile")):
        scenario.skip(reason=reason)
        return
    context.evidence = Evidence()
    context.world = World(context.provider, context.config.userdata, context.evidence)
    if "tracing" in scenario.effective_tags:
        context.world.traces.start()  # a test-agent session of its own (harness.traces.reader)


def after_scenario(context, scenario):
    world = getattr(context, "world", None)
    if world is not None:
        world.close()
        context.world = None
    context.run_results.add(scenario)
    # No fault outlives its scenario, also a failed one: faults removed, stopped services started again.
    for undone in context.provider.clear_faults():
        print(f"hello-dd spec: after {scenario.name!r}: {undone}", file=sys.stderr, flush=True)


def after_all(context):
    provider = getattr(context, "provider", None)
    try:
        if provider is not None:
            provider.stop()
    finally:
        if hasattr(context, "run_results"):
            stack = getattr(context, "stack_description", "the stack did not start")
            path = context.run_results.write(context.reports_dir / "test_report.md", stack=stack)
            print(f"hello-dd spec: wrote {path}", file=sys.stderr, flush=True)
