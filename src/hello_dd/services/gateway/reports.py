"""Pattern 4, asynchronous reports: a job store, a runner, and the report builders.

``submit`` answers at once with a job id; the work runs as an asyncio task started inside the
submitting request's trace context, so its downstream calls belong to the same trace. Jobs go
queued -> running -> completed (with ``result``) or failed (with ``error``). The store keeps at most
``capacity`` jobs, evicting the oldest finished ones first.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from prometheus_client import Counter

from hello_dd.services.common.errors import ApiError
from hello_dd.services.common.telemetry import Context, current_context, tracer
from hello_dd.services.gateway.bulk import gather_chunks, product_sort_key
from hello_dd.services.gateway.checkout import OrderStore
from hello_dd.services.gateway.clients import InventoryClient, PricingClient
from hello_dd.services.gateway.models import JobStatus, ReportRequest, ReportType
from hello_dd.services.gateway.resilience import DependencyError

log = logging.getLogger(__name__)
_tracer = tracer(__name__)

REPORTS = Counter("reports_total", "Report jobs that finished, by type and outcome.", ["report_type", "outcome"])

LOW_STOCK_THRESHOLD = 50
_PAGE = 200


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


@dataclass
class Job:
    job_id: str
    report_type: str
    submitted_at: str = field(default_factory=_now)
    status: str = "queued"
    started_at: str | None = None
    completed_at: str | None = None
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed")

    def view(self) -> JobStatus:
        return JobStatus(
            jobId=self.job_id,
            reportType=self.report_type,
            status=self.status,  # type: ignore[arg-type]
            submittedAt=self.submitted_at,
            startedAt=self.started_at,
            completedAt=self.completed_at,
            result=self.result,
            error=self.error,
        )


class JobStore:
    def __init__(self, capacity: int):
        self.capacity = capacity
        self._jobs: OrderedDict[str, Job] = OrderedDict()

    def add(self, job: Job) -> None:
        if len(self._jobs) >= self.capacity:
            oldest_finished = next((j for j in self._jobs.values() if j.finished), None)
            if oldest_finished is None:
                raise ApiError(503, "TOO_MANY_JOBS", "Too many reports are in progress; try again shortly.", headers={"Retry-After": "5"})
            del self._jobs[oldest_finished.job_id]
        self._jobs[job.job_id] = job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)


class ReportBuilders:
    """Gathers the data of each report type from the services (and the gateway's own orders)."""

    def __init__(self, inventory: InventoryClient, pricing: PricingClient, orders: OrderStore):
        self.inventory = inventory
        self.pricing = pricing
        self.orders = orders

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
        prices = {pid: p for pid, p in found.items() if p.get("found")}
        by_category: dict[str, dict[str, float]] = {}
        for item in stock:
            cat = by_category.setdefault(item["category"], {"products": 0, "unitsAvailable": 0, "stockValue": 0.0})
            cat["products"] += 1
            cat["unitsAvailable"] += item["available"]
            cat["stockValue"] = round(cat["stockValue"] + item["available"] * prices.get(item["productId"], {}).get("basePrice", 0.0), 2)
        return {
            "period": _period(request),
            "products": len(stock),
            "unitsAvailable": sum(s["available"] for s in stock),
            "unitsReserved": sum(s["reserved"] for s in stock),
            "stockValue": round(sum(c["stockValue"] for c in by_category.values()), 2),
            "outOfStock": [s["productId"] for s in stock if not s["inStock"]],
            "lowStock": [s["productId"] for s in stock if 0 < s["available"] < LOW_STOCK_THRESHOLD],
            "byCategory": by_category,
            # Products whose price could not be fetched are valued at 0 and listed here.
            "unpriced": sorted(unpriced, key=product_sort_key),
        }

    async def pricing_summary(self, request: ReportRequest) -> dict[str, Any]:
        return {"period": _period(request), **await self.pricing.analytics()}

    async def sales_summary(self, request: ReportRequest) -> dict[str, Any]:
        orders = [
            o for o in self.orders.all() if request.startDate <= date.fromisoformat(o.createdAt[:10]) <= request.endDate
        ]
        units: dict[str, int] = {}
        for order in orders:
            for line in order.items:
                units[line.productId] = units.get(line.productId, 0) + line.quantity
        return {
            "period": _period(request),
            "orders": len(orders),
            "revenue": round(sum(o.total for o in orders), 2),
            "unitsSold": sum(units.values()),
            "unitsByProduct": units,
        }


def _period(request: ReportRequest) -> dict[str, str]:
    return {"startDate": request.startDate.isoformat(), "endDate": request.endDate.isoformat()}


class ReportRunner:
    def __init__(self, store: JobStore, builders: ReportBuilders):
        self.store = store
        self.builders = builders
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, request: ReportRequest) -> Job:
        job = Job(job_id=f"job-{uuid.uuid4().hex}", report_type=request.reportType.value)
        self.store.add(job)
        # The submitting request's span is the report's parent, named explicitly: by the time the task
        # runs that span may have ended, and ddtrace no longer treats an ended span as the active one.
        task = asyncio.get_running_loop().create_task(self._run(job, request, current_context()))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        log.info("report job queued", extra={"job_id": job.job_id, "report_type": job.report_type})
        return job

    async def _run(self, job: Job, request: ReportRequest, parent: Context | None = None) -> None:
        with _tracer.start_as_current_span("report.generate", context=parent) as span:
            span.set_attribute("report.job_id", job.job_id)
            span.set_attribute("report.type", job.report_type)
            job.status, job.started_at = "running", _now()
            try:
                job.result = await self.builders.for_type(request.reportType)(request)
                job.status = "completed"
            except DependencyError as exc:
                job.status, job.error = "failed", {"code": exc.code, "message": exc.message}
            except Exception as exc:  # noqa: BLE001 - a job must end in a state, never vanish
                log.exception("report job %s failed unexpectedly", job.job_id)
                job.status, job.error = "failed", {"code": "REPORT_FAILED", "message": f"{type(exc).__name__} while building the report"}
            job.completed_at = _now()
            REPORTS.labels(job.report_type, job.status).inc()
            log.info("report job %s", job.status, extra={"job_id": job.job_id, "report_type": job.report_type})

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
