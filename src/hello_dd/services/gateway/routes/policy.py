"""The gateway's policy as it is configured: the numbers its resilience and limits depend on.

Operators read it to know what to expect (how long a dependency may take, how many attempts a read
gets, when a circuit opens and for how long), and the specification reads it, so the same scenarios
hold against a deployment configured differently (features/README.md, docs/resilience.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from hello_dd.services.gateway.context import GatewayComponents, components

router = APIRouter(prefix="/api/v1", tags=["policy"])


class DependencyPolicy(BaseModel):
    timeoutSeconds: float = Field(description="Time one attempt may take before it is given up (504).")


class RetryPolicyView(BaseModel):
    attempts: int = Field(description="Attempts in all for an idempotent call (reads, quotes, releases).")
    backoffInitialSeconds: float
    backoffMaxSeconds: float
    budgetSeconds: float = Field(description="No new attempt starts after this long.")


class CircuitBreakerPolicy(BaseModel):
    failureThreshold: int = Field(description="Consecutive failed attempts that open a dependency's circuit.")
    resetSeconds: float = Field(description="How long an open circuit fails fast before a trial call (half-open).")


class BulkCheckPolicy(BaseModel):
    maxIds: int = Field(description="Most product ids one bulk check may name (more: 400 BATCH_TOO_LARGE).")
    chunkSize: int = Field(description="Product ids per downstream call.")
    concurrency: int = Field(description="Chunks checked at the same time.")


class Policy(BaseModel):
    dependencies: dict[str, DependencyPolicy]
    retry: RetryPolicyView
    circuitBreaker: CircuitBreakerPolicy
    bulkCheck: BulkCheckPolicy


@router.get("/policy", response_model=Policy, summary="Timeouts, retries, circuit breakers and limits as configured")
async def policy(gw: Annotated[GatewayComponents, Depends(components)]) -> Policy:
    s = gw.settings
    return Policy(
        dependencies={dep.name: DependencyPolicy(timeoutSeconds=dep.timeout) for dep in gw.dependencies.values()},
        retry=RetryPolicyView(
            attempts=s.retry_attempts,
            backoffInitialSeconds=s.retry_backoff_initial,
            backoffMaxSeconds=s.retry_backoff_max,
            budgetSeconds=s.retry_budget_seconds,
        ),
        circuitBreaker=CircuitBreakerPolicy(
            failureThreshold=s.breaker_failure_threshold, resetSeconds=s.breaker_reset_seconds
        ),
        bulkCheck=BulkCheckPolicy(maxIds=s.bulk_max_ids, chunkSize=s.bulk_chunk_size, concurrency=s.bulk_concurrency),
    )
