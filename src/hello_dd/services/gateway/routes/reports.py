"""Pattern 4: asynchronous report generation and status polling."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from fastapi.responses import JSONResponse

from hello_dd.services.common.errors import ApiError, error_responses
from hello_dd.services.common.models import ID_PATTERN
from hello_dd.services.gateway.context import GatewayComponents, components
from hello_dd.services.gateway.idempotency import IDEMPOTENCY_ERRORS, REPLAYED_HEADER, IdempotencyKeyHeader
from hello_dd.services.gateway.models import JobAccepted, ReportJob, ReportRequest

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


@router.post(
    "/generate",
    status_code=202,
    response_model=JobAccepted,
    summary="Start a report; answers at once with a job id to poll",
    responses=error_responses({**IDEMPOTENCY_ERRORS, 503: "Too many reports are in progress (TOO_MANY_JOBS)"}),
)
async def generate(
    body: ReportRequest,
    response: Response,
    gw: Annotated[GatewayComponents, Depends(components)],
    idempotency_key: IdempotencyKeyHeader = None,
) -> JobAccepted:
    """Report types: ``inventory_summary`` (stock and stock value from inventory and pricing),
    ``pricing_summary`` (pricing analytics), ``sales_summary`` (orders placed through this gateway
    between the dates). ``startDate`` must not be after ``endDate``. Jobs are kept in the gateway's
    database: one interrupted by a restart is run again when the gateway is back. With an
    ``Idempotency-Key``, a retry of the same request answers with the job the first one started."""
    job, replayed = await gw.reports.submit(body, idempotency_key)
    status_url = f"/api/v1/reports/status/{job.job_id}"
    response.headers["Location"] = status_url
    if replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return JobAccepted(job_id=job.job_id, status="queued", status_url=status_url)


@router.get(
    "/status/{job_id}",
    response_model=ReportJob,
    summary="A report job's status: queued, running, completed (with result) or failed (with error)",
    responses=error_responses({404: "No such job (JOB_NOT_FOUND)"}),
)
async def status(
    job_id: Annotated[str, Path(pattern=ID_PATTERN)], gw: Annotated[GatewayComponents, Depends(components)]
) -> JSONResponse:
    job = await gw.reports.get(job_id)
    if job is None:
        raise ApiError(404, "JOB_NOT_FOUND", f"Report job {job_id} does not exist.")
    # As stored: a result kept by an earlier version still reads back, whatever ReportJob's types say now.
    return JSONResponse(job.view().model_dump(mode="json"))
