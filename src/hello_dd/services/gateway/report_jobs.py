"""Report jobs in the gateway's database: submitted, run, finished, and found again after a restart.

A job goes queued -> running -> completed (with ``result``) or failed (with ``error``). A job whose
gateway stopped while it was queued or running is run again when the gateway starts, until it has
been started ``max_attempts`` times; then it fails with ``REPORT_INTERRUPTED`` and a reason. Finished
jobs are deleted ``REPORT_RETENTION_HOURS`` after they finished (docs/durability.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from hello_dd.services.common.correlation import current_correlation_id, current_request_id
from hello_dd.services.common.database import write_retrying_conflicts, write_transaction
from hello_dd.services.common.errors import ApiError
from hello_dd.services.gateway.database import as_utc, report_jobs, utc_now
from hello_dd.services.gateway.idempotency import KeyClaim, bound_target, rebind
from hello_dd.services.gateway.models import JobStatus, ReportRequest

QUEUED, RUNNING, COMPLETED, FAILED = "queued", "running", "completed", "failed"
ACTIVE = (QUEUED, RUNNING)


@dataclass(frozen=True)
class Job:
    job_id: str
    report_type: str
    request: ReportRequest
    status: str
    owner: str | None
    attempts: int
    submitted_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    correlation_id: str | None = None
    request_id: str | None = None

    def view(self) -> JobStatus:
        def iso(moment: datetime | None) -> str | None:
            return as_utc(moment).isoformat() if moment else None

        return JobStatus(
            job_id=self.job_id,
            report_type=self.report_type,
            status=self.status,
            submitted_at=iso(self.submitted_at) or "",
            started_at=iso(self.started_at),
            completed_at=iso(self.completed_at),
            result=self.result,
            error=self.error,
        )


def _job(row: Any) -> Job:
    return Job(
        job_id=row.job_id,
        report_type=row.report_type,
        request=ReportRequest.model_validate_json(row.request),
        status=row.status,
        owner=row.owner,
        attempts=row.attempts,
        submitted_at=row.submitted_at,
        started_at=row.started_at,
        completed_at=row.completed_at,
        result=json.loads(row.result) if row.result else None,
        error=json.loads(row.error) if row.error else None,
        correlation_id=row.correlation_id,
        request_id=row.request_id,
    )


class TooManyJobs(ApiError):
    def __init__(self) -> None:
        super().__init__(
            503, "TOO_MANY_JOBS", "Too many reports are in progress; try again shortly.", headers={"Retry-After": "5"}
        )


class JobStore:
    def __init__(self, engine: Engine, owner: str, max_active: int):
        self.engine = engine
        self.owner = owner
        self.max_active = max_active

    def submit(self, job_id: str, request: ReportRequest, claim: KeyClaim | None) -> tuple[Job, bool]:
        """Records a queued job; returns it and True, or, for a key used before with the same body,
        the job that key made and False."""

        def record(conn: Connection) -> tuple[Job, bool]:
            if claim is not None and (bound := bound_target(conn, claim, job_id)) is not None:
                row = conn.execute(select(report_jobs).where(report_jobs.c.job_id == bound)).first()
                if row is not None:
                    return _job(row), False
                rebind(conn, claim, job_id)  # the job it made is past its retention
            active = conn.scalar(select(func.count()).select_from(report_jobs).where(report_jobs.c.status.in_(ACTIVE)))
            if (active or 0) >= self.max_active:
                raise TooManyJobs()
            conn.execute(
                insert(report_jobs).values(
                    job_id=job_id,
                    report_type=request.report_type.value,
                    request=request.model_dump_json(),
                    status=QUEUED,
                    owner=self.owner,
                    attempts=0,
                    submitted_at=utc_now(),
                    correlation_id=current_correlation_id(),
                    request_id=current_request_id(),
                )
            )
            row = conn.execute(select(report_jobs).where(report_jobs.c.job_id == job_id)).one()
            return _job(row), True

        return write_retrying_conflicts(self.engine, record)

    def get(self, job_id: str) -> Job | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(report_jobs).where(report_jobs.c.job_id == job_id)).first()
        return None if row is None else _job(row)

    def start(self, job_id: str) -> None:
        with write_transaction(self.engine) as conn:
            conn.execute(
                update(report_jobs)
                .where(report_jobs.c.job_id == job_id)
                .values(status=RUNNING, owner=self.owner, attempts=report_jobs.c.attempts + 1, started_at=utc_now())
            )

    def finish(self, job_id: str, *, result: dict[str, Any] | None = None, error: dict[str, str] | None = None) -> None:
        values: dict[str, Any] = {"status": FAILED if error else COMPLETED, "completed_at": utc_now()}
        values["result" if error is None else "error"] = json.dumps(result if error is None else error)
        with write_transaction(self.engine) as conn:
            conn.execute(update(report_jobs).where(report_jobs.c.job_id == job_id).values(**values))

    def put_back(self, job_id: str) -> None:
        """The gateway is stopping while the job runs: queued again, and this run does not count."""
        with write_transaction(self.engine) as conn:
            conn.execute(
                update(report_jobs)
                .where(report_jobs.c.job_id == job_id, report_jobs.c.status == RUNNING)
                .values(status=QUEUED, attempts=report_jobs.c.attempts - 1, started_at=None)
            )

    def orphans(self) -> list[Job]:
        """Queued or running jobs of a gateway process that is no longer this one, oldest first."""
        query = (
            select(report_jobs)
            .where(report_jobs.c.status.in_(ACTIVE), report_jobs.c.owner.is_distinct_from(self.owner))
            .order_by(report_jobs.c.submitted_at)
        )
        with self.engine.connect() as conn:
            return [_job(row) for row in conn.execute(query)]

    def forget_finished(self, before: datetime) -> int:
        with write_transaction(self.engine) as conn:
            return conn.execute(
                delete(report_jobs).where(
                    report_jobs.c.status.in_((COMPLETED, FAILED)), report_jobs.c.completed_at < before
                )
            ).rowcount
