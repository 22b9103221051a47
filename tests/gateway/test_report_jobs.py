"""Report jobs in the gateway's database: idempotent submission, the limit on jobs in progress, and
what a gateway that starts finds of the jobs a stopped one left (each test on SQLite, and on
PostgreSQL when its binaries are installed)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from hello_dd.polling import poll_async
from hello_dd.services.gateway.database import Database
from hello_dd.services.gateway.idempotency import KeyClaim, KeyReused
from hello_dd.services.gateway.models import ReportRequest
from hello_dd.services.gateway.report_jobs import JobStore, TooManyJobs
from hello_dd.services.gateway.reports import ReportRunner

SALES = ReportRequest(reportType="sales_summary", startDate="2026-01-01", endDate="2026-01-31")
STOCK = ReportRequest(reportType="inventory_summary", startDate="2026-01-01", endDate="2026-01-31")


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    yield database
    database.close()


def test_a_key_gives_back_its_job_and_refuses_another_body(db):
    store = JobStore(db.engine, "gw-1", max_active=10)
    job, created = store.submit("job-1", SALES, KeyClaim.of("reports", "k", SALES))
    assert (job.job_id, job.status, created) == ("job-1", "queued", True)
    again, created = store.submit("job-2", SALES, KeyClaim.of("reports", "k", SALES))
    assert (again.job_id, created) == ("job-1", False)
    with pytest.raises(KeyReused):
        store.submit("job-3", STOCK, KeyClaim.of("reports", "k", STOCK))
    assert store.get("job-2") is None and store.get("job-3") is None


def test_jobs_in_progress_are_limited_but_finished_ones_do_not_count(db):
    store = JobStore(db.engine, "gw-1", max_active=1)
    store.submit("job-1", SALES, None)
    with pytest.raises(TooManyJobs) as refused:
        store.submit("job-2", SALES, None)
    assert (refused.value.status, refused.value.headers) == (503, {"Retry-After": "5"})
    store.finish("job-1", result={"orders": 0})
    store.submit("job-2", SALES, None)
    view = store.get("job-1").view()
    assert (view.status, view.result, view.error) == ("completed", {"orders": 0}, None)


def test_finished_jobs_are_deleted_after_their_retention(db):
    store = JobStore(db.engine, "gw-1", max_active=10)
    store.submit("job-1", SALES, None)
    store.finish("job-1", error={"code": "X", "message": "broken"})
    assert store.forget_finished(datetime.now(UTC) - timedelta(hours=1)) == 0
    assert store.forget_finished(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert store.get("job-1") is None


class _Builders:
    """Stands in for the report builders: a sales report that counts its runs."""

    def __init__(self) -> None:
        self.runs = 0

    def for_type(self, _):
        async def build(request: ReportRequest) -> dict:
            self.runs += 1
            return {"orders": 0}

        return build


async def _wait_finished(store: JobStore, job_id: str) -> str:
    async def status() -> str:
        return store.get(job_id).status

    return await poll_async(
        status,
        lambda status: status in ("completed", "failed"),
        timeout=4,
        interval=0.02,
        what=f"job {job_id} finished",
    )


async def test_a_started_gateway_runs_again_the_jobs_a_stopped_one_left_or_fails_them_with_a_reason(db):
    stopped = JobStore(db.engine, "gw-stopped", max_active=10)
    stopped.submit("job-queued", SALES, None)
    stopped.submit("job-running", SALES, None)
    stopped.start("job-running")
    stopped.submit("job-twice", SALES, None)
    stopped.start("job-twice")
    stopped.start("job-twice")  # interrupted twice already

    store = JobStore(db.engine, "gw-started", max_active=10)
    builders = _Builders()
    runner = ReportRunner(store, builders, db, max_attempts=2)  # type: ignore[arg-type]  # a stand-in with only for_type, not ReportBuilders
    assert await runner.resume_orphans() == 3
    assert await _wait_finished(store, "job-queued") == "completed"
    assert await _wait_finished(store, "job-running") == "completed"
    failed = store.get("job-twice").view()
    assert failed.status == "failed"
    assert failed.error["code"] == "REPORT_INTERRUPTED" and "stopped" in failed.error["message"]
    assert builders.runs == 2
    assert await runner.resume_orphans() == 0  # its own jobs are not orphans


async def test_a_job_stopped_with_the_gateway_is_queued_again_without_counting_the_run(db):
    store = JobStore(db.engine, "gw-1", max_active=10)

    class Slow(_Builders):
        def for_type(self, _):
            async def build(request):
                await asyncio.sleep(30)

            return build

    runner = ReportRunner(store, Slow(), db, max_attempts=2)  # type: ignore[arg-type]  # a stand-in with only for_type, not ReportBuilders
    job, _ = await runner.submit(SALES)

    async def status() -> str:
        return store.get(job.job_id).status

    await poll_async(status, lambda status: status == "running", timeout=2, interval=0.02, what="the job running")
    await runner.close()
    again = store.get(job.job_id)
    assert (again.status, again.attempts, again.started_at) == ("queued", 0, None)
