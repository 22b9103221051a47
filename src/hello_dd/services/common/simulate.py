"""Fault injection on demand, shared by the downstream services: the gateway's cascade endpoint and
the resilience scenarios call these to get a failure or a slow answer without touching the stack."""

from __future__ import annotations

import asyncio
from typing import Annotated, NoReturn

from fastapi import APIRouter, Query
from pydantic import BaseModel

from hello_dd.services.common.errors import ERROR_RESPONSES, ApiError, ErrorResponse

MAX_DELAY_MS = 10_000

router = APIRouter(prefix="/simulate", tags=["simulation"])


class SimulatedDelay(BaseModel):
    delayedMs: int


@router.get(
    "/error",
    summary="Always fails with 503 SIMULATED_FAILURE",
    response_model=None,
    responses={503: {"model": ErrorResponse, "description": "The simulated failure"}},
)
async def simulate_error() -> NoReturn:
    raise ApiError(503, "SIMULATED_FAILURE", "Simulated failure, requested through /simulate/error.")


class SimulatedCrash(RuntimeError):
    """A bug on purpose: nothing handles it, so it shows what an unexpected failure looks like."""


@router.get(
    "/crash",
    summary="Fails with an unhandled exception: a JSON 500 INTERNAL_ERROR, the stack trace only in the log",
    response_model=None,
    responses={500: {"model": ErrorResponse, "description": "The unexpected failure, as every caller sees one"}},
)
async def simulate_crash() -> NoReturn:
    raise SimulatedCrash("simulated crash, requested through /simulate/crash (internal detail: never shown to callers)")


@router.get("/latency", summary="Answers after sleeping ms milliseconds", responses=ERROR_RESPONSES)
async def simulate_latency(ms: Annotated[int, Query(ge=0, le=MAX_DELAY_MS)]) -> SimulatedDelay:
    # Sleeping on the event loop keeps the worker free for other requests while this one waits.
    await asyncio.sleep(ms / 1000)
    return SimulatedDelay(delayedMs=ms)
