"""Service settings, read from environment variables (one settings object per service).

Names are the plain upper-case field names (``PORT``, ``DATABASE_URL``, ``INVENTORY_URL`` ...), so the
same variables work in a shell, in ``hello-dd up`` and in docker-compose.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

TracerName = Literal["otel", "ddtrace", "none"]


class ServiceSettings(BaseSettings):
    """What every service reads."""

    # populate_by_name: code and tests may pass fields by name even where the variable has another name.
    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    # Fixed per service class, never read from the environment (a shell may well have SERVICE_NAME set).
    service_name: ClassVar[str] = "hello-dd-service"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    environment: str = Field("local", validation_alias=AliasChoices("DD_ENV", "ENVIRONMENT"))
    # Which tracing instruments the service: OpenTelemetry (configured by the standard OTEL_* variables,
    # see telemetry), Datadog's ddtrace (DD_* variables, see ddtrace_setup), or none.
    tracer: TracerName = Field("otel", validation_alias=AliasChoices("HELLO_DD_TRACER", "TRACER"))
    # Largest request body accepted; larger bodies get 413.
    max_body_bytes: int = 1_048_576


class InventorySettings(ServiceSettings):
    service_name: ClassVar[str] = "inventory-service"
    port: int = 8001
    # SQLAlchemy URL: embedded SQLite by default, PostgreSQL with a postgresql:// URL.
    database_url: str = "sqlite:///./inventory.db"


class PricingSettings(ServiceSettings):
    service_name: ClassVar[str] = "pricing-service"
    port: int = 8002
    # When set (redis://host:port/db), quotes and price lookups are cached in Redis, else in process.
    redis_url: str | None = None
    tax_rate: float = 0.0825
    cache_ttl_seconds: float = 60.0
    quote_ttl_seconds: float = 900.0


class GatewaySettings(ServiceSettings):
    service_name: ClassVar[str] = "api-gateway"
    port: int = 8000
    inventory_url: str = "http://127.0.0.1:8001"
    pricing_url: str = "http://127.0.0.1:8002"
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
    # Async reports: most jobs kept in the job store (oldest finished ones are evicted first).
    report_max_jobs: int = 1000
    # Cascade endpoint: how long the simulated slow dependency sleeps in failure_mode=timeout.
    cascade_slow_seconds: float = 5.0
