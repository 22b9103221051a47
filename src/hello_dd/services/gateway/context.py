"""The gateway's components, wired together: everything its routes need (clients, circuit breakers, database,
order book, checkout saga, report runner, background maintenance), built once in the lifespan and injected
with ``Depends(components)``."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

import aiohttp
from fastapi import Request

from hello_dd.services.common.settings import GatewaySettings
from hello_dd.services.gateway.checkout import CheckoutSaga
from hello_dd.services.gateway.clients import InventoryClient, PricingClient
from hello_dd.services.gateway.database import Database
from hello_dd.services.gateway.maintenance import Maintenance
from hello_dd.services.gateway.order_book import OrderBook
from hello_dd.services.gateway.report_jobs import JobStore
from hello_dd.services.gateway.reports import ReportBuilders, ReportRunner
from hello_dd.services.gateway.resilience import CircuitBreakers, Dependency, RetryPolicy
from hello_dd.topology import INVENTORY, PRICING


@dataclass
class GatewayComponents:
    settings: GatewaySettings
    session: aiohttp.ClientSession
    breakers: CircuitBreakers
    inventory_dependency: Dependency
    pricing_dependency: Dependency
    inventory: InventoryClient
    pricing: PricingClient
    db: Database
    orders: OrderBook
    checkout: CheckoutSaga
    reports: ReportRunner
    maintenance: Maintenance
    rng: random.Random = field(default_factory=random.Random)

    @property
    def dependencies(self) -> dict[str, Dependency]:
        return {"inventory": self.inventory_dependency, "pricing": self.pricing_dependency}

    async def close(self) -> None:
        await self.reports.close()
        await self.session.close()
        self.db.close()


async def build_components(settings: GatewaySettings) -> GatewayComponents:
    # The tracer's aiohttp integration (telemetry.start, or ddtrace) traces every session made after it.
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200, limit_per_host=100))
    breakers = CircuitBreakers(settings.breaker_failure_threshold, settings.breaker_reset_seconds)
    retry = RetryPolicy(
        attempts=settings.retry_attempts,
        backoff_initial=settings.retry_backoff_initial,
        backoff_max=settings.retry_backoff_max,
        budget_seconds=settings.retry_budget_seconds,
    )
    inventory_dep = Dependency(
        INVENTORY.name, settings.inventory_url, session, settings.inventory_timeout, retry, breakers
    )
    pricing_dep = Dependency(PRICING.name, settings.pricing_url, session, settings.pricing_timeout, retry, breakers)
    for dep in (inventory_dep, pricing_dep):
        await breakers.register(dep.name)
    inventory, pricing = InventoryClient(inventory_dep), PricingClient(pricing_dep)
    db = Database(settings.database_url)
    # This process's name on the checkouts and jobs it runs: those of another (a stopped gateway) are orphans.
    owner = f"gw-{uuid.uuid4().hex[:12]}"
    book = OrderBook(db.engine, owner)
    jobs = JobStore(db.engine, owner, settings.report_max_active_jobs)
    checkout = CheckoutSaga(inventory, pricing, book, db, key_wait_seconds=settings.idempotency_wait_seconds)
    reports = ReportRunner(jobs, ReportBuilders(inventory, pricing, book, db), db, settings.report_max_attempts)
    return GatewayComponents(
        settings=settings,
        session=session,
        breakers=breakers,
        inventory_dependency=inventory_dep,
        pricing_dependency=pricing_dep,
        inventory=inventory,
        pricing=pricing,
        db=db,
        orders=book,
        checkout=checkout,
        reports=reports,
        maintenance=Maintenance(settings, db, checkout, reports, book, jobs),
    )


async def components(request: Request) -> GatewayComponents:
    # async on purpose: FastAPI runs a plain `def` dependency in a worker thread, a costly hop per request.
    return request.app.state.components
