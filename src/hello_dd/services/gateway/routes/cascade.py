"""Pattern 5: the cascade endpoint (see hello_dd.services.gateway.cascade for the failure modes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from hello_dd.services.common.correlation import current_correlation_id
from hello_dd.services.common.errors import error_responses
from hello_dd.services.gateway.cascade import run_cascade
from hello_dd.services.gateway.context import GatewayComponents, components
from hello_dd.services.gateway.models import CascadeReport, FailureMode
from hello_dd.services.gateway.routes import DEPENDENCY_FAILURES

router = APIRouter(prefix="/api/v1/health", tags=["resilience"])


@router.get(
    "/cascade",
    response_model=CascadeReport,
    summary="Induce downstream failures and show retries, timeouts, circuit state and fallbacks",
    responses=error_responses(DEPENDENCY_FAILURES, model=CascadeReport),
)
async def cascade(
    gw: Annotated[GatewayComponents, Depends(components)],
    failure_mode: Annotated[FailureMode | None, Query(description="inventory, pricing, timeout or random")] = None,
) -> JSONResponse:
    status, report = await run_cascade(failure_mode, gw.dependencies, gw.settings.cascade_slow_seconds, gw.rng)
    report.correlation_id = current_correlation_id()
    return JSONResponse(report.model_dump(), status_code=status)
