"""Failures on demand, shared by the downstream services (inventory and pricing).

- The cascade's probes, always mounted: the gateway's cascade endpoint (pattern 5) calls
  ``/cascade-probe/error`` and ``/cascade-probe/slow`` to make a dependency fail, or answer late, on
  purpose. Each touches only the request that asks for it: an immediate 503, or one bounded wait.
- ``/simulate/crash``, a test hook: an unhandled exception on purpose, so the suite can show what an
  unexpected failure looks like in the logs. Mounted only when the service is started with
  ``SIMULATE_ENDPOINTS=true`` (the suite's own stacks do); everywhere else ``/simulate/*`` answers 404.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, NoReturn

from fastapi import APIRouter, Query
from pydantic import BaseModel

from hello_dd.services.common.errors import ERROR_RESPONSES, ApiError, ErrorResponse
from hello_dd.services.common.settings import ServiceSettings

MAX_DELAY_MS = 10_000

cascade_probes = APIRouter(prefix="/cascade-probe", tags=["cascade probes"])
simulate = APIRouter(prefix="/simulate", tags=["simulation (test hook)"])


class SimulatedDelay(BaseModel):
    delayedMs: int


@cascade_probes.get(
    "/error",
    summary="Always fails with 503 SIMULATED_FAILURE (the gateway's cascade endpoint asks for it)",
    response_model=None,
    responses={503: {"model": ErrorResponse, "description": "The failure asked for"}},
)
async def probe_error() -> NoReturn:
    raise ApiError(503, "SIMULATED_FAILURE", "Simulated failure, asked for by the cascade's probe.")


@cascade_probes.get("/slow", summary="Answers after sleeping ms milliseconds (at most 10 s)", responses=ERROR_RESPONSES)
async def probe_slow(ms: Annotated[int, Query(ge=0, le=MAX_DELAY_MS)]) -> SimulatedDelay:
    # Sleeping on the event loop keeps the worker free for other requests while this one waits.
    await asyncio.sleep(ms / 1000)
    return SimulatedDelay(delayedMs=ms)


class SimulatedCrash(RuntimeError):
    """A bug on purpose: nothing handles it, so it shows what an unexpected failure looks like."""


@simulate.get(
    "/crash",
    summary="Fails with an unhandled exception: a JSON 500 INTERNAL_ERROR, the stack trace only in the log",
    response_model=None,
    responses={500: {"model": ErrorResponse, "description": "The unexpected failure, as every caller sees one"}},
)
async def simulate_crash() -> NoReturn:
    raise SimulatedCrash("simulated crash, requested through /simulate/crash (internal detail: never shown to callers)")


def routers(settings: ServiceSettings) -> list[APIRouter]:
    """The cascade's probes, and the simulate endpoints when the settings turn them on."""
    return [cascade_probes, simulate] if settings.simulate_endpoints else [cascade_probes]
