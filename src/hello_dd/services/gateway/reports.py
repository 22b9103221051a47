"""Pattern 4, asynchronous reports: the runner and the report builders (the jobs themselves are kept in
the gateway's database: :mod:`~hello_dd.services.gateway.report_jobs`).

``submit`` answers at once with a job id; the work runs as an asyncio task started inside the
submitting request's trace context, so its downstream calls belong to the same trace. Jobs go
queued -> running -> completed (with ``result``) or failed (with ``error``). A job that a stop of the
gateway interrupted is run again when the gateway starts (:meth:`ReportRunner.resume_orphans`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from prometheus_client import Counter

from hello_dd.services.common import telemetry
from hello_dd.services.common.correlation import acting_for, current_correlation_id
from hello_dd.services.common.telemetry import Context, current_context, tracer
from hello_dd.services.gateway.bulk import gather_chunks, product_sort_key
from hello_dd.services.gateway.clients import InventoryClient, PricingClient
from hello_dd.services.gateway.database import Database
from hello_dd.services.gateway.idempotency import KeyClaim
from hello_dd.services.gateway.models import (
    CategoryStock,
    InventorySummary,
    PricingSection,
    ReportRequest,
    ReportType,
    SalesSummary,
)
from hello_dd.services.gateway.order_book import OrderBook
from hello_dd.services.gateway.report_jobs import Job, JobStore
from hello_dd.services.gateway.resilience import DependencyError

log = logging.getLogger(__name__)
_tracer = tracer(__name__)

REPORTS = Counter("reports_total", "Report jobs that finished, by type and outcome.", ["report_type", "outcome"])

LOW_STOCK_THRESHOLD = 50
_PAGE = 200


class ReportBuilders:
    """Gathers the data of each report type from the services (and the gateway's own orders)."""

    def __init__(self, inventory: InventoryClient, pricing: PricingClient, book: OrderBook, db: Database):
        self.inventory = inventory
        self.pricing = pricing
        self.book = book
        self.db = db

    def for_type(self, report_type: ReportType) -> Callable[[ReportRequest], Awaitable[dict[str, Any]]]:
        return {
            ReportType.inventory_summary: self.inventory_summary,
            ReportType.pricing_summary: self.pricing_summary,
            ReportType.sales_summary: self.sales_summary,
        }[report_type]

    async def _all_stock(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = await self.inventory.list_stock(limit=_PAGE, offset=offset)
            items.extend(page["items"])
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return items

    async def inventory_summary(self, request: ReportRequest) -> dict[str, Any]:
        stock = await self._all_stock()
        found, unpriced = await gather_chunks([s["productId"] for s in stock], 100, 2, self.pricing.bulk)
        # Each priced product's list price, exact; a product pricing gave no price for is valued at 0.
        prices = {pid: PricingSection.model_validate(p).base_price for pid, p in found.items() if p.get("found")}
        by_category: dict[str, CategoryStock] = {}
        for item in stock:
            cat = by_category.setdefault(
                item["category"], CategoryStock(products=0, units_available=0, stock_value=Decimal(0))
            )
            cat.products += 1
            cat.units_available += item["available"]
            cat.stock_value += item["available"] * prices.get(item["productId"], Decimal(0))
        summary = InventorySummary(
            period=_period(request),
            products=len(stock),
            units_available=sum(s["available"] for s in stock),
            units_reserved=sum(s["reserved"] for s in stock),
            stock_value=sum((c.stock_value for c in by_category.values()), Decimal(0)),
            out_of_stock=[s["productId"] for s in stock if not s["inStock"]],
            low_stock=[s["productId"] for s in stock if 0 < s["available"] < LOW_STOCK_THRESHOLD],
            by_category=by_category,
            unpriced=sorted(unpriced, key=product_sort_key),
        )
        return summary.model_dump(mode="json")

    async def pricing_summary(self, request: ReportRequest) -> dict[str, Any]:
        return {"period": _period(request), **await self.pricing.analytics()}

    async def sales_summary(self, request: ReportRequest) -> dict[str, Any]:
        orders = await self.db.run(self.book.placed_between, request.start_date, request.end_date)
        units: dict[str, int] = {}
        for order in orders:
            for line in order.items:
                units[line.product_id] = units.get(line.product_id, 0) + line.quantity
        summary = SalesSummary(
            period=_period(request),
            orders=len(orders),
            revenue=sum((o.total for o in orders), Decimal(0)),
            units_sold=sum(units.values()),
            units_by_product=units,
        )
        return summary.model_dump(mode="json")


def _period(request: ReportRequest) -> dict[str, str]:
    return {"startDate": request.start_date.isoformat(), "endDate": request.end_date.isoformat()}


class ReportRunner:
    def __init__(self, store: JobStore, builders: ReportBuilders, db: Database, max_attempts: int):
        self.store = store
        self.builders = builders
        self.db = db
        self.max_attempts = max_attempts
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def submit(self, request: ReportRequest, idempotency_key: str | None = None) -> tuple[Job, bool]:
        """Records the job and starts it; returns it and whether it was made by an earlier request with
        the same idempotency key (then nothing new is started)."""
        claim = KeyClaim.of("reports", idempotency_key, request)
        job, created = await self.db.run(self.store.submit, f"job-{uuid.uuid4().hex}", request, claim)
        if not created:
            log.info("report job replayed for a repeated idempotency key", extra={"job_id": job.job_id})
            return job, True
        # The submitting request's span is the report's parent, named explicitly: by the time the task
        # runs that span may have ended, and ddtrace no longer treats an ended span as the active one.
        self._launch(job, current_context())
        log.info("report job queued", extra={"job_id": job.job_id, "report_type": job.report_type})
        return job, False

    async def get(self, job_id: str) -> Job | None:
        return await self.db.run(self.store.get, job_id)

    async def resume_orphans(self) -> int:
        """Runs again the jobs a stopped gateway left queued or running, or fails those already
        started ``max_attempts`` times. Returns how many were found."""
        with telemetry.quietly():  # an empty look leaves no trace
            orphans = await self.db.run(self.store.orphans)
        if orphans:
            # Each resumed job's report.generate is a child of this span (its task starts under it).
            with telemetry.job("report.resume", **{"hello_dd.report_jobs.unfinished": len(orphans)}):
                await self._resume(orphans)
        return len(orphans)

    async def _resume(self, orphans: list[Job]) -> None:
        for job in orphans:
            # Logged, and run, as the request that submitted the job: a line in the resume's trace names
            # the ids of a request, as every line about a request does.
            with acting_for(job.correlation_id, job.request_id):
                await self._resume_one(job)

    async def _resume_one(self, job: Job) -> None:
        if job.attempts >= self.max_attempts:
            error = {
                "code": "REPORT_INTERRUPTED",
                "message": f"The gateway stopped while building this report, {job.attempts} times; request it again.",
            }
            await self.db.run(self.store.finish, job.job_id, error=error)
            REPORTS.labels(job.report_type, "failed").inc()
            log.warning("report job given up after %d interrupted runs", job.attempts, extra={"job_id": job.job_id})
        else:
            self._launch(job, None)
            log.warning(
                "report job resumed after a restart", extra={"job_id": job.job_id, "report_type": job.report_type}
            )

    def _launch(self, job: Job, parent: Context | None) -> None:
        task = asyncio.get_running_loop().create_task(self._run(job, parent))
        self._tasks[job.job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job.job_id, None))

    async def _run(self, job: Job, parent: Context | None = None) -> None:
        if current_correlation_id() is None:  # run again after a restart: as the request that submitted it
            with acting_for(job.correlation_id, job.request_id):
                await self._run(job, parent)
            return
        with _tracer.start_as_current_span("report.generate", context=parent) as span:
            span.set_attribute("report.job_id", job.job_id)
            span.set_attribute("report.type", job.report_type)
            await self.db.run(self.store.start, job.job_id)
            result: dict[str, Any] | None = None
            error: dict[str, str] | None = None
            try:
                result = await self.builders.for_type(job.request.report_type)(job.request)
            except asyncio.CancelledError:
                await asyncio.shield(self.db.run(self.store.put_back, job.job_id))
                raise
            except DependencyError as exc:
                error = {"code": exc.code, "message": exc.message}
            except Exception as exc:  # a job must end in a state, never vanish
                log.exception("report job %s failed unexpectedly", job.job_id)
                error = {"code": "REPORT_FAILED", "message": f"{type(exc).__name__} while building the report"}
            await self.db.run(self.store.finish, job.job_id, result=result, error=error)
            status = "failed" if error else "completed"
            REPORTS.labels(job.report_type, status).inc()
            log.info("report job %s", status, extra={"job_id": job.job_id, "report_type": job.report_type})

    async def close(self) -> None:
        """Stops the running jobs; each is queued again, to be run when the gateway is back."""
        for task in list(self._tasks.values()):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks.values()), timeout=5)
