"""What the gateway does in the background while it runs (docs/durability.md):

* **recovery**, at start-up and then every ``CHECKOUT_RECOVERY_SECONDS``: settles the checkouts a
  stopped gateway left unfinished, and releases reservations a failed checkout could not give back at
  once (inventory was unreachable);
* **resuming report jobs**, at start-up: jobs a stopped gateway left queued or running are run again
  (or failed with a reason once they were interrupted ``REPORT_MAX_ATTEMPTS`` times);
* **housekeeping**, every ``HOUSEKEEPING_INTERVAL_SECONDS``: deletes finished report jobs, idempotency
  keys and settled checkout records past their retention, and orders when ``ORDER_RETENTION_DAYS`` is set.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from hello_dd.services.common import telemetry
from hello_dd.services.common.periodic import repeat
from hello_dd.services.common.settings import GatewaySettings
from hello_dd.services.gateway.checkout import CheckoutSaga
from hello_dd.services.gateway.database import Database, utc_now
from hello_dd.services.gateway.idempotency import forget_keys
from hello_dd.services.gateway.order_book import OrderBook
from hello_dd.services.gateway.report_jobs import JobStore
from hello_dd.services.gateway.reports import ReportRunner

log = logging.getLogger(__name__)


@dataclass
class Maintenance:
    settings: GatewaySettings
    db: Database
    checkout: CheckoutSaga
    reports: ReportRunner
    book: OrderBook
    jobs: JobStore

    async def start_up(self) -> None:
        """Before the gateway serves: report jobs of a stopped gateway are resumed (checkouts are
        settled by the first recovery round, which starts at once)."""
        if resumed := await self.reports.resume_orphans():
            log.warning("found %d report jobs a stopped gateway left unfinished", resumed)

    def loops(self) -> list[Coroutine[Any, Any, None]]:
        s = self.settings
        return [
            repeat("checkout recovery", s.checkout_recovery_seconds, self.checkout.recover, first_delay=0),
            repeat("housekeeping", s.housekeeping_interval_seconds, self.housekeeping, first_delay=0),
        ]

    async def housekeeping(self) -> dict[str, int]:
        """Deletes what is past its retention. The pass runs without spans (it runs every few minutes and
        mostly finds nothing); one that deleted something is one ``housekeeping`` span, with the counts."""
        began = time.time_ns()
        with telemetry.quietly():
            deleted = await self._forget_expired()
        if any(deleted.values()):
            with telemetry.job("housekeeping", began, **{f"hello_dd.deleted.{k}": n for k, n in deleted.items()}):
                log.info("housekeeping deleted records past their retention", extra={"deleted": deleted})
        return deleted

    async def _forget_expired(self) -> dict[str, int]:
        s, now = self.settings, utc_now()
        keys_before = now - timedelta(hours=s.idempotency_key_retention_hours)
        orders_before = now - timedelta(days=s.order_retention_days) if s.order_retention_days else None
        checkouts, orders = await self.db.run(self.book.forget, keys_before, orders_before)
        deleted = {
            "report_jobs": await self.db.run(
                self.jobs.forget_finished, now - timedelta(hours=s.report_retention_hours)
            ),
            "idempotency_keys": await self.db.run(forget_keys, self.db.engine, keys_before),
            "checkouts": checkouts,
            "orders": orders,
        }
        return deleted
