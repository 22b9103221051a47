"""The gateway's database: orders, the progress of each checkout, report jobs and idempotency keys.

One SQLAlchemy engine on the gateway's ``DATABASE_URL``, made the way every service makes it
(:mod:`hello_dd.services.common.database`: a SQLite file by default, PostgreSQL with a
``postgresql://`` URL). Nothing the gateway confirmed lives only in memory: a restart, or a crash,
finds every order, every unfinished checkout and every report job here (docs/durability.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import ParamSpec, TypeVar

from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
)
from starlette.concurrency import run_in_threadpool

from hello_dd.services.common.database import backend_name, create_db_engine
from hello_dd.services.common.migrations import migrate

P = ParamSpec("P")
T = TypeVar("T")

metadata = MetaData()

# Confirmed orders, each exactly as the shopper was answered (the JSON document), by id.
orders = Table(
    "orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("customer_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("document", Text, nullable=False),
)

# The durable record of each checkout's progress (see checkout.py for the states and what recovery
# does with each). The checkout id becomes the order's id when it is confirmed.
CHECKOUT_STATES = ("started", "reserving", "finalized", "rolling_back", "confirmed", "failed")
checkouts = Table(
    "checkouts",
    metadata,
    Column("checkout_id", String(64), primary_key=True),
    Column("state", String(16), nullable=False, index=True),
    # The gateway process (its boot id) that runs the checkout; another one's unsettled checkouts are
    # orphans that recovery settles.
    Column("owner", String(64), nullable=False),
    Column("request", Text, nullable=False),
    Column("reservation_id", String(128), nullable=False),
    # pricing-service's final quote, kept once the price is final: recovery needs it to roll forward.
    Column("final_quote", Text, nullable=True),
    # Why a checkout failed (an error code), for the logs and for people reading the table.
    Column("outcome", String(64), nullable=True),
    # The ids of the request that started it: recovery logs and calls under them.
    Column("correlation_id", String(128), nullable=True),
    Column("request_id", String(128), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, index=True),
    CheckConstraint("state IN (" + ", ".join(f"'{s}'" for s in CHECKOUT_STATES) + ")", name="ck_checkouts_state"),
)

JOB_STATES = ("queued", "running", "completed", "failed")
report_jobs = Table(
    "report_jobs",
    metadata,
    Column("job_id", String(64), primary_key=True),
    Column("report_type", String(32), nullable=False),
    Column("request", Text, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("owner", String(64), nullable=True),
    # Runs started; a job interrupted by a crash is run again until report_max_attempts.
    Column("attempts", Integer, nullable=False, default=0),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("completed_at", DateTime(timezone=True), nullable=True, index=True),
    Column("result", Text, nullable=True),
    Column("error", Text, nullable=True),
    # The ids of the request that submitted it: a run after a restart logs and calls under them.
    Column("correlation_id", String(128), nullable=True),
    Column("request_id", String(128), nullable=True),
    CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in JOB_STATES) + ")", name="ck_report_jobs_status"),
)

# Idempotency-Key header values per endpoint (scope): the request they were first used with (its
# fingerprint) and what they created (a checkout/order id or a job id).
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(16), primary_key=True),
    Column("idempotency_key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("target_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    # SQLite keeps no time zone; every timestamp is written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _revision_of_untracked_tables(conn: Connection) -> str | None:
    """A database made before revisions were tracked (its tables were made by ``create_all`` at every
    start): the tables it may lack are made the same way, and it is revision 0001. None when empty."""
    if not inspect(conn).has_table("orders"):
        return None
    metadata.create_all(conn)
    return "0001"


class Database:
    """The engine, and :meth:`run` to call the synchronous store methods from async code (in a worker
    thread: a write may wait for SQLite's lock, a PostgreSQL answer comes over the network)."""

    def __init__(self, database_url: str):
        self.backend = backend_name(database_url)
        self.engine: Engine = create_db_engine(database_url)
        migrate(self.engine, "hello_dd.services.gateway:migrations", _revision_of_untracked_tables)

    async def run(self, method: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await run_in_threadpool(method, *args, **kwargs)

    def close(self) -> None:
        self.engine.dispose()
