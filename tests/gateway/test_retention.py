"""Retention is explicit: the settings say how long each record is kept, and housekeeping deletes
by age, never to make room."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import update

from hello_dd.services.common.settings import GatewaySettings
from hello_dd.services.gateway.database import Database, checkouts, idempotency_keys, orders, report_jobs
from hello_dd.services.gateway.idempotency import KeyClaim
from hello_dd.services.gateway.maintenance import Maintenance
from hello_dd.services.gateway.models import OrderRequest, ReportRequest
from hello_dd.services.gateway.order_book import OrderBook
from hello_dd.services.gateway.report_jobs import JobStore

from .support import confirmed_order

REQUEST = OrderRequest(items=[{"productId": "123", "quantity": 1}], customerId="cust-789")
REPORT = ReportRequest(reportType="sales_summary", startDate="2026-01-01", endDate="2026-01-31")


def test_orders_may_not_be_deleted_before_their_keys():
    with pytest.raises(ValidationError, match="ORDER_RETENTION_DAYS"):
        GatewaySettings(order_retention_days=0.5, idempotency_key_retention_hours=24)
    assert GatewaySettings(order_retention_days=1, idempotency_key_retention_hours=24).order_retention_days == 1
    assert GatewaySettings().order_retention_days == 0  # kept for ever by default


def _age(db: Database, days: float) -> None:
    """Makes every record ``days`` older."""
    past = datetime.now(UTC) - timedelta(days=days)
    with db.engine.begin() as conn:
        conn.execute(update(orders).values(created_at=past))
        conn.execute(update(checkouts).values(updated_at=past))
        conn.execute(update(idempotency_keys).values(created_at=past))
        conn.execute(update(report_jobs).values(completed_at=past))


@pytest.mark.parametrize(("order_days", "orders_left"), [(0, 1), (30, 0)])
async def test_housekeeping_deletes_what_is_past_its_retention(database_url, order_days, orders_left):
    db = Database(database_url)
    try:
        book, jobs = OrderBook(db.engine, "gw-1"), JobStore(db.engine, "gw-1", max_active=10)
        book.begin("ord-1", REQUEST, "res-ord-1", KeyClaim.of("orders", "k", REQUEST))
        book.confirm("ord-1", confirmed_order("ord-1"))
        jobs.submit("job-1", REPORT, None)
        jobs.finish("job-1", result={})
        jobs.submit("job-active", REPORT, None)
        settings = GatewaySettings(order_retention_days=order_days, database_url=database_url)
        maintenance = Maintenance(settings, db, checkout=None, reports=None, book=book, jobs=jobs)  # type: ignore[arg-type]  # housekeeping uses neither checkout nor reports

        assert set((await maintenance.housekeeping()).values()) == {0}  # nothing old enough yet
        _age(db, days=60)
        deleted = await maintenance.housekeeping()
        assert deleted == {"report_jobs": 1, "idempotency_keys": 1, "checkouts": 1, "orders": 1 - orders_left}
        assert (book.get("ord-1") is not None) == bool(orders_left)
        assert jobs.get("job-active") is not None  # a job in progress is never deleted
    finally:
        db.close()
