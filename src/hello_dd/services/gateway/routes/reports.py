"""Pattern 4: asynchronous report generation and status polling."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from hello_dd.services.common.errors import ApiError, error_responses
from hello_dd.services.gateway.context import Gateway, gateway
from hello_dd.services.gateway.models import JobAccepted, JobStatus, ReportRequest

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


@router.post(
    "/generate",
    status_code=202,
    response_model=JobAccepted,
    summary="Start a report; answers at once with a job id to poll",
    responses=error_responses({503: "The job store is full (TOO_MANY_JOBS)"}),
)
async def generate(body: ReportRequest, response: Response, gw: Annotated[Gateway, Depends(gateway)]) -> JobAccepted:
    """Report types: ``inventory_summary`` (stock and stock value from inventory and pricing),
    ``pricing_summary`` (pricing analytics), ``sales_summary`` (orders placed through this gateway
    between the dates). ``startDate`` must not be after ``endDate``."""
    job = gw.reports.submit(body)
    status_url = f"/api/v1/reports/status/{job.job_id}"
    response.headers["Location"] = status_url
    return JobAccepted(jobId=job.job_id, status="queued", statusUrl=status_url)


@router.get(
    "/status/{job_id}",
    response_model=JobStatus,
    summary="A report job's status: queued, running, completed (with result) or failed (with error)",
    responses=error_responses({404: "No such job (JOB_NOT_FOUND)"}),
)
async def status(job_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")], gw: Annotated[Gateway, Depends(gateway)]) -> JobStatus:
    job = gw.jobs.get(job_id)
    if job is None:
        raise ApiError(404, "JOB_NOT_FOUND", f"Report job {job_id} does not exist.")
    return job.view()
