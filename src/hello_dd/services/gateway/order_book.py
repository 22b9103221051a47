"""Orders and the durable record of each checkout, in the gateway's database.

A checkout's record is written before each step with a lasting effect, so whatever instant the
gateway dies at, the record says what may have happened and what recovery must do:

=============  ====================================================  =================================
state          what may exist                                        recovery
=============  ====================================================  =================================
started        nothing (stock checked and priced only)               failed
reserving      a held reservation (its answer may have been lost)    release it -> failed
finalized      a held reservation and the final price                confirm it and keep the order
                                                                     (roll forward) -> confirmed; or
                                                                     failed if the hold expired
rolling_back   a reservation being given back                        release it -> failed
confirmed      the order (terminal)                                  -
failed         nothing held (terminal)                               -
=============  ====================================================  =================================

The finalized price is the point of no return: before it a checkout is undone, after it finished.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from hello_dd.services.common.correlation import current_correlation_id, current_request_id
from hello_dd.services.common.database import write_retrying_conflicts, write_transaction
from hello_dd.services.gateway.database import checkouts, orders, utc_now
from hello_dd.services.gateway.idempotency import KeyClaim, bound_target, rebind
from hello_dd.services.gateway.models import Order, OrderRequest

STARTED, RESERVING, FINALIZED, ROLLING_BACK, CONFIRMED, FAILED = (
    "started",
    "reserving",
    "finalized",
    "rolling_back",
    "confirmed",
    "failed",
)
SETTLED = (CONFIRMED, FAILED)
# A key bound to a checkout in one of these states may start a new attempt: it will never make an order.
GIVEN_UP = (ROLLING_BACK, FAILED)


@dataclass(frozen=True)
class CheckoutRecord:
    checkout_id: str
    state: str
    owner: str
    request: OrderRequest
    reservation_id: str
    final_quote: dict[str, Any] | None
    correlation_id: str | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class Begun:
    """What starting a checkout found: a new checkout (``started``), the order its key already made
    (``replay``), or its key in use by a checkout that is still running (neither)."""

    started: bool = False
    replay: Order | None = None


class OrderBook:
    def __init__(self, engine: Engine, owner: str):
        self.engine = engine
        self.owner = owner

    # --- a checkout's progress ------------------------------------------------------------------

    def begin(self, checkout_id: str, request: OrderRequest, reservation_id: str, claim: KeyClaim | None) -> Begun:
        """Records a new checkout under the current request's ids (the caller runs it in a worker
        thread, which sees the request's context), claiming its key."""
        ids = {"correlation_id": current_correlation_id(), "request_id": current_request_id()}

        def record(conn: Connection) -> Begun:
            if claim is not None and (bound := bound_target(conn, claim, checkout_id)) is not None:
                if (document := conn.scalar(select(orders.c.document).where(orders.c.order_id == bound))) is not None:
                    return Begun(replay=Order.model_validate_json(document))
                state = conn.scalar(select(checkouts.c.state).where(checkouts.c.checkout_id == bound))
                if state is not None and state not in GIVEN_UP:
                    return Begun()
                rebind(conn, claim, checkout_id)
            now = utc_now()
            conn.execute(
                insert(checkouts).values(
                    checkout_id=checkout_id,
                    state=STARTED,
                    owner=self.owner,
                    request=request.model_dump_json(),
                    reservation_id=reservation_id,
                    created_at=now,
                    updated_at=now,
                    **ids,
                )
            )
            return Begun(started=True)

        return write_retrying_conflicts(self.engine, record)

    def advance(
        self, checkout_id: str, state: str, *, final_quote: dict[str, Any] | None = None, outcome: str | None = None
    ) -> None:
        values: dict[str, Any] = {"state": state, "updated_at": utc_now()}
        if final_quote is not None:
            values["final_quote"] = json.dumps(final_quote)
        if outcome is not None:
            values["outcome"] = outcome[:64]
        with write_transaction(self.engine) as conn:
            conn.execute(update(checkouts).where(checkouts.c.checkout_id == checkout_id).values(**values))

    def confirm(self, checkout_id: str, order: Order) -> None:
        """The order and the end of its checkout, in one transaction."""
        with write_transaction(self.engine) as conn:
            conn.execute(
                insert(orders).values(
                    order_id=order.order_id,
                    customer_id=order.customer_id,
                    created_at=datetime.fromisoformat(order.created_at),
                    document=order.model_dump_json(),
                )
            )
            conn.execute(
                update(checkouts)
                .where(checkouts.c.checkout_id == checkout_id)
                .values(state=CONFIRMED, updated_at=utc_now())
            )

    def unsettled(self) -> list[CheckoutRecord]:
        """Checkouts that are neither confirmed nor failed, oldest first (the caller leaves out those a
        request of this process is running)."""
        query = select(checkouts).where(checkouts.c.state.not_in(SETTLED)).order_by(checkouts.c.created_at)
        with self.engine.connect() as conn:
            return [
                CheckoutRecord(
                    checkout_id=row.checkout_id,
                    state=row.state,
                    owner=row.owner,
                    request=OrderRequest.model_validate_json(row.request),
                    reservation_id=row.reservation_id,
                    final_quote=json.loads(row.final_quote) if row.final_quote else None,
                    correlation_id=row.correlation_id,
                    request_id=row.request_id,
                )
                for row in conn.execute(query)
            ]

    # --- orders ---------------------------------------------------------------------------------

    def get(self, order_id: str) -> Order | None:
        with self.engine.connect() as conn:
            document = conn.scalar(select(orders.c.document).where(orders.c.order_id == order_id))
        return None if document is None else Order.model_validate_json(document)

    def placed_between(self, first: date, last: date) -> list[Order]:
        """Orders created on the days from ``first`` to ``last`` (UTC), both included."""
        query = select(orders.c.document).where(orders.c.created_at >= datetime.combine(first, time.min, tzinfo=UTC))
        if last < date.max:  # the day after 9999-12-31 does not exist: no upper bound then
            query = query.where(orders.c.created_at < datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC))
        query = query.order_by(orders.c.created_at)
        with self.engine.connect() as conn:
            return [Order.model_validate_json(document) for document in conn.scalars(query)]

    # --- retention ------------------------------------------------------------------------------

    def forget(self, settled_before: datetime, orders_before: datetime | None) -> tuple[int, int]:
        """Deletes settled checkout records last changed before ``settled_before`` and, when
        ``orders_before`` is given, orders created before it. Returns (checkouts, orders) deleted."""
        with write_transaction(self.engine) as conn:
            old_checkouts = conn.execute(
                delete(checkouts).where(checkouts.c.state.in_(SETTLED), checkouts.c.updated_at < settled_before)
            ).rowcount
            old_orders = 0
            if orders_before is not None:
                old_orders = conn.execute(delete(orders).where(orders.c.created_at < orders_before)).rowcount
        return old_checkouts, old_orders
