"""Pattern 5, the cascade endpoint: asks the dependencies to fail on purpose and shows how the gateway
copes - retries with backoff, timeouts, circuit breakers and fallbacks.

Per failure mode, what each dependency is asked to do:
- none:      both answer their health check;
- inventory: inventory answers 503 on every attempt (retried, then counted by its circuit breaker);
- pricing:   the same for pricing;
- timeout:   inventory sleeps longer than its timeout (not retried: answers 504 after the timeout);
- random:    each dependency independently gets healthy, error or slow.
Both dependencies are probed in parallel. These probes go through the same circuit breakers as real
traffic: repeated failures open the circuit and the product query then fails fast as well. Time
budget: error modes end within the retry budget, timeout within the dependency timeout, and an open
circuit answers at once.
"""

from __future__ import annotations

import asyncio
import random
import time

from hello_dd.services.gateway.models import CascadeReport, DependencyProbe, FailureMode
from hello_dd.services.gateway.resilience import CircuitOpen, Dependency, DependencyError

PROBES = ("healthy", "error", "slow")


def plan(mode: FailureMode | None, rng: random.Random) -> dict[str, str]:
    """What each dependency is asked to do, by dependency role ("inventory", "pricing")."""
    if mode is None:
        return {"inventory": "healthy", "pricing": "healthy"}
    if mode is FailureMode.random:
        return {"inventory": rng.choice(PROBES), "pricing": rng.choice(PROBES)}
    return {
        FailureMode.inventory: {"inventory": "error", "pricing": "healthy"},
        FailureMode.pricing: {"inventory": "healthy", "pricing": "error"},
        FailureMode.timeout: {"inventory": "slow", "pricing": "healthy"},
    }[mode]


async def probe(dependency: Dependency, kind: str, slow_seconds: float) -> tuple[int, DependencyProbe]:
    """Runs one probe; returns the status the gateway would answer for it (200 or 502/503/504)."""
    path = {"healthy": "/health", "error": "/cascade-probe/error", "slow": "/cascade-probe/slow"}[kind]
    params = {"ms": int(slow_seconds * 1000)} if kind == "slow" else None
    started = time.perf_counter()
    error: dict[str, str] | None = None
    attempts = 1
    fallback = False
    status = 200
    try:
        reply = await dependency.get(path, params=params)
        attempts = reply.attempts
    except DependencyError as exc:
        attempts, status = exc.attempts, exc.status
        error = {"code": exc.code, "message": exc.message, "dependency": exc.dependency}
        fallback = isinstance(exc, CircuitOpen)
    return status, DependencyProbe(
        status="failed" if error else "ok",
        probe=kind,
        attempts=attempts,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
        circuit=await dependency.circuit_state(),
        fallback=fallback,
        error=error,
    )


async def run_cascade(
    mode: FailureMode | None, dependencies: dict[str, Dependency], slow_seconds: float, rng: random.Random
) -> tuple[int, CascadeReport]:
    """Returns the HTTP status (200, or the worst dependency failure's 502/503/504) and the report."""
    asked = plan(mode, rng)
    results = await asyncio.gather(*(probe(dependencies[role], asked[role], slow_seconds) for role in asked))
    probes = {dependencies[role].name: result for role, (_, result) in zip(asked, results, strict=False)}
    failed = {name: p for name, p in probes.items() if p.status == "failed"}
    if not failed:
        return 200, CascadeReport(status="ok", failure_mode=mode.value if mode else None, dependencies=probes)
    status = max(code for code, _ in results)
    names = ", ".join(sorted(failed))
    return status, CascadeReport(
        status="degraded",
        failure_mode=mode.value if mode else None,
        dependencies=probes,
        error={"code": "DEPENDENCY_FAILURE", "message": f"Failing dependencies: {names}"},
    )
