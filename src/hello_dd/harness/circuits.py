"""The gateway's circuit breakers as a scenario sees them: opening one on purpose, waiting out its
cool-down, and getting every circuit closed again after a scenario that opened one."""

from __future__ import annotations

import time
from collections.abc import Callable

from hello_dd.harness.clients import Gateway
from hello_dd.harness.exchange import Exchange
from hello_dd.harness.policy import Policy
from hello_dd.polling import poll
from hello_dd.topology import GATEWAY

#: The cascade endpoint's failure mode that makes each dependency fail: the gateway's name for it.
MODE_OF = {dependency.name: dependency.prefix for dependency in GATEWAY.calls}
#: The product whose full answer shows that every dependency is used again.
PROBE_PRODUCT = "123"


def circuit_states(gateway: Gateway) -> dict[str, str]:
    health = gateway.health()
    if health.status != 200 or not isinstance(health.body, dict):
        raise AssertionError(f"the gateway's health could not be read: {health}")
    return {name: dep.get("circuit", "?") for name, dep in health.body.get("dependencies", {}).items()}


def open_circuit(gateway: Gateway, service: str, failing_call: Callable[[], Exchange], calls: int = 10) -> float:
    """Makes ``failing_call`` (a request that fails at ``service``) until the gateway reports the
    circuit to ``service`` open, at most ``calls`` times; returns when it was seen open (monotonic)."""
    for _ in range(calls):
        failing_call()
        if circuit_states(gateway).get(service) == "open":
            return time.monotonic()
    raise AssertionError(
        f"the circuit to {service} did not open after {calls} failing calls: {circuit_states(gateway)}"
    )


def wait_while_open(
    gateway: Gateway, policy: Policy, service: str | None = None, since: float | None = None
) -> tuple[Exchange, float]:
    """Waits (at most the cool-down and 5 s more) until no circuit, or the one to ``service``, is open;
    returns the health answer that showed it and the seconds since ``since`` (default: now)."""
    started = since if since is not None else time.monotonic()

    def still_open(health: Exchange) -> bool:
        circuits = {name: dep.get("circuit") for name, dep in health.body.get("dependencies", {}).items()}
        return circuits.get(service) == "open" if service else "open" in circuits.values()

    health = poll(
        gateway.health,
        lambda h: h.status == 200 and not still_open(h),
        timeout=policy.breaker_reset_seconds + 5,
        interval=0.1,
        what=f"the circuit{' to ' + service if service else 's'} to leave the open state",
    )
    return health, time.monotonic() - started


def close_all(gateway: Gateway, policy: Policy) -> Exchange:
    """After a scenario that opened circuits: waits out the cool-down until product 123 is served in
    full again (its first calls are the trials that close each circuit) and every circuit is closed."""
    budget = policy.breaker_reset_seconds + 2 * policy.time_budget_seconds + 10
    served = gateway.wait_until_fully_served(PROBE_PRODUCT, timeout=budget)
    poll(
        lambda: circuit_states(gateway),
        lambda states: set(states.values()) <= {"closed"},
        timeout=budget,
        what="every circuit of the gateway to be closed",
    )
    return served
