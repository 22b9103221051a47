"""Everything the gateway's routes need, built once in the lifespan and injected with ``Depends``."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import aiohttp
from fastapi import Request

from hello_dd.services.common.settings import GatewaySettings
from hello_dd.services.gateway.checkout import CheckoutSaga, OrderStore
from hello_dd.services.gateway.clients import InventoryClient, PricingClient
from hello_dd.services.gateway.reports import JobStore, ReportBuilders, ReportRunner
from hello_dd.services.gateway.resilience import CircuitBreakers, Dependency, RetryPolicy


@dataclass
class Gateway:
    settings: GatewaySettings
    session: aiohttp.ClientSession
    breakers: CircuitBreakers
    inventory_dependency: Dependency
    pricing_dependency: Dependency
    inventory: InventoryClient
    pricing: PricingClient
    orders: OrderStore
    checkout: CheckoutSaga
    reports: ReportRunner
    jobs: JobStore
    rng: random.Random = field(default_factory=random.Random)

    @property
    def dependencies(self) -> dict[str, Dependency]:
        return {"inventory": self.inventory_dependency, "pricing": self.pricing_dependency}

    async def close(self) -> None:
        await self.reports.close()
        await self.checkout.close()
        await self.session.close()


async def build_gateway(settings: GatewaySettings) -> Gateway:
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
        "inventory-service", settings.inventory_url, session, settings.inventory_timeout, retry, breakers
    )
    pricing_dep = Dependency(
        "pricing-service", settings.pricing_url, session, settings.pricing_timeout, retry, breakers
    )
    for dep in (inventory_dep, pricing_dep):
        await breakers.register(dep.name)
    inventory, pricing = InventoryClient(inventory_dep), PricingClient(pricing_dep)
    orders = OrderStore()
    jobs = JobStore(settings.report_max_jobs)
    return Gateway(
        settings=settings,
        session=session,
        breakers=breakers,
        inventory_dependency=inventory_dep,
        pricing_dependency=pricing_dep,
        inventory=inventory,
        pricing=pricing,
        orders=orders,
        checkout=CheckoutSaga(inventory, pricing, orders),
        reports=ReportRunner(jobs, ReportBuilders(inventory, pricing, orders)),
        jobs=jobs,
    )


async def gateway(request: Request) -> Gateway:
    # async on purpose: FastAPI runs a plain `def` dependency in a worker thread, a costly hop per request.
    return request.app.state.gateway
