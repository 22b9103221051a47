"""Set-up and clean-up a reader does not care about, run from a scenario's tags (behave fixtures:
``@fixture.<name>``), so the Gherkin says only what the scenario is about. The tag legend is in
features/README.md."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from behave import fixture

from hello_dd.harness.circuits import circuit_states, close_all
from hello_dd.harness.clients import Gateway
from hello_dd.harness.http import HttpClient
from hello_dd.harness.policy import Policy
from hello_dd.harness.progress import say


def _close_circuits(gateway_url: str, policy: Policy) -> None:
    """Clean-up, not a check: the gateway's reset hook closes the circuits at once where it has one
    (docs/test-hooks.md); elsewhere their cool-down is waited out. Either way product 123 must be served
    in full again and every circuit be closed before the next scenario."""
    http = HttpClient(gateway_url)  # its own client: the scenario's are closed by now
    try:
        gateway = Gateway(http)
        gateway.reset_circuits()
        close_all(gateway, policy)
    finally:
        http.close()


@fixture(name="fixture.stack-recovered")
def stack_recovered(context: Any) -> Iterator[None]:
    """The scenario makes a dependency fail: afterwards (once its faults are removed) wait out the
    cool-down of any open circuit until product 123 is fully served and every circuit is closed. The
    successful calls also clear the consecutive failures a closed circuit counts, so the next scenario
    starts from a healthy stack (without them, its first failures could open a circuit early)."""
    yield
    _close_circuits(context.provider.urls.gateway, context.policy)


FIXTURES = {"fixture.stack-recovered": stack_recovered}


def ensure_circuits_closed(context: Any, previous: str | None) -> None:
    """A safety net before each scenario: a circuit left open by a scenario without the fixture's tag
    is waited out here (and named, so the tag can be added), instead of failing the next scenario."""
    http = HttpClient(context.provider.urls.gateway)
    try:
        states = circuit_states(Gateway(http))
    except (AssertionError, OSError):
        return  # the health check itself is what a scenario will report
    finally:
        http.close()
    if set(states.values()) <= {"closed"}:
        return
    say(
        f"{previous or 'an earlier scenario'} left circuits {states}: waiting for them to close"
        " (tag it @fixture.stack-recovered)"
    )
    _close_circuits(context.provider.urls.gateway, context.policy)
