"""Service settings, read from environment variables (one settings object per service).

Names are the plain upper-case field names (``PORT``, ``DATABASE_URL``, ``INVENTORY_URL`` ...), so the
same variables work in a shell, in ``hello-dd up`` and in docker-compose.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hello_dd.topology import GATEWAY, INVENTORY, PRICING, TracerName


class ServiceSettings(BaseSettings):
    """What every service reads."""

    # populate_by_name: code and tests may pass fields by name even where the variable has another name.
    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    # Fixed per service class, never read from the environment (a shell may well have SERVICE_NAME set).
    service_name: ClassVar[str] = "hello-dd-service"
    host: str = "127.0.0.1"
    port: int = GATEWAY.port  # each service's class below sets its own
    log_level: str = "INFO"
    environment: str = Field("local", validation_alias=AliasChoices("DD_ENV", "ENVIRONMENT"))
    # Which tracing instruments the service: OpenTelemetry (configured by the standard OTEL_* variables,
    # see telemetry), Datadog's ddtrace (DD_* variables, see ddtrace_setup), or none.
    tracer: TracerName = Field("otel", validation_alias=AliasChoices("HELLO_DD_TRACER", "TRACER"))
    # Largest request body accepted; larger bodies get 413.
    max_body_bytes: int = 1_048_576
    # SIMULATE_ENDPOINTS=true mounts the test hooks /simulate/crash (common/simulate.py) and the gateway's
    # /simulate/circuits/reset (gateway/routes/simulate.py); off, /simulate/*
    # answers 404. The suite's own stacks turn it on; docker-compose, the image and Kubernetes leave it off.
    simulate_endpoints: bool = False


class InventorySettings(ServiceSettings):
    service_name: ClassVar[str] = INVENTORY.name
    port: int = INVENTORY.port
    # SQLAlchemy URL: embedded SQLite by default, PostgreSQL with a postgresql:// URL.
    database_url: str = "sqlite:///./inventory.db"
    # A reservation nobody confirms within this many seconds is released by the expiry sweep, which
    # runs every reservation_sweep_seconds (docs/durability.md). The hold must outlast a checkout's
    # reserve -> finalize -> confirm steps, retries included (the gateway's retry budget is 4 s a call).
    reservation_hold_seconds: float = Field(30.0, gt=0)
    reservation_sweep_seconds: float = Field(5.0, gt=0)


class PricingSettings(ServiceSettings):
    service_name: ClassVar[str] = PRICING.name
    port: int = PRICING.port
    # When set (redis://host:port/db), quotes and price lookups are cached in Redis, else in process.
    redis_url: str | None = None
    tax_rate: Decimal = Decimal("0.0825")
    cache_ttl_seconds: float = 60.0
    quote_ttl_seconds: float = 900.0


class GatewaySettings(ServiceSettings):
    service_name: ClassVar[str] = GATEWAY.name
    port: int = GATEWAY.port
    # Orders, checkout progress, report jobs and idempotency keys (docs/durability.md): SQLAlchemy URL,
    # embedded SQLite by default, PostgreSQL with a postgresql:// URL.
    database_url: str = "sqlite:///./gateway.db"
    # The dependencies' URLs (INVENTORY_URL, PRICING_URL): by default their own ports on this machine.
    inventory_url: str = f"http://127.0.0.1:{INVENTORY.port}"
    pricing_url: str = f"http://127.0.0.1:{PRICING.port}"
    # Per-attempt timeouts for each dependency (seconds).
    inventory_timeout: float = 1.5
    pricing_timeout: float = 1.5
    # Retries (idempotent calls only): attempts in all, exponential backoff with jitter, and a
    # total budget after which no new attempt starts.
    retry_attempts: int = 3
    retry_backoff_initial: float = 0.05
    retry_backoff_max: float = 0.5
    retry_budget_seconds: float = 4.0
    # Circuit breaker per dependency: consecutive failed attempts that open it, seconds it stays open.
    breaker_failure_threshold: int = 5
    breaker_reset_seconds: float = 10.0
    # Bulk check: most product ids per request, ids per downstream chunk, chunks in flight at once.
    bulk_max_ids: int = 200
    bulk_chunk_size: int = 20
    bulk_concurrency: int = 4
    # Async reports: most jobs queued or running at once (more: 503 TOO_MANY_JOBS); a job interrupted
    # by a stop of the gateway is run again when it starts, up to report_max_attempts runs in all.
    report_max_active_jobs: int = Field(100, ge=1)
    report_max_attempts: int = Field(2, ge=1)
    # Retention (docs/durability.md): finished report jobs, idempotency keys and settled checkout
    # records are deleted after these hours; confirmed orders after order_retention_days (0: kept).
    report_retention_hours: float = Field(24.0, gt=0)
    idempotency_key_retention_hours: float = Field(24.0, gt=0)
    order_retention_days: float = Field(0.0, ge=0)
    housekeeping_interval_seconds: float = Field(300.0, gt=0)
    # Checkouts left unfinished (the gateway stopped, or a step could not be undone at once) are
    # finished or undone at start-up and then every checkout_recovery_seconds.
    checkout_recovery_seconds: float = Field(5.0, gt=0)
    # A request whose Idempotency-Key is in use by a checkout still running waits this long for its
    # answer before it is told 409 IDEMPOTENCY_KEY_IN_USE.
    idempotency_wait_seconds: float = Field(10.0, ge=0)
    # Cascade endpoint: how long the simulated slow dependency sleeps in failure_mode=timeout.
    cascade_slow_seconds: float = 5.0

    @model_validator(mode="after")
    def _orders_outlive_their_keys(self) -> GatewaySettings:
        # A replayed key answers with its order, so an order must not be deleted before its key.
        if self.order_retention_days and self.order_retention_days * 24 < self.idempotency_key_retention_hours:
            raise ValueError(
                "ORDER_RETENTION_DAYS must be 0 (keep orders) or at least IDEMPOTENCY_KEY_RETENTION_HOURS / 24"
            )
        return self
