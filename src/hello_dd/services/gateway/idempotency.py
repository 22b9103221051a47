"""The ``Idempotency-Key`` request header on the gateway's writes (``POST /api/v1/orders``,
``POST /api/v1/reports/generate``), as payment APIs use it and as the IETF draft
"The Idempotency-Key HTTP Header Field" describes it:

* the first request with a key binds the key to what it creates (an order, a report job);
* the same key with the same body again gets the first answer (the same order, the same job), and
  creates nothing more; the answer carries ``Idempotent-Replayed: true``;
* the same key with another body is refused: 422 ``IDEMPOTENCY_KEY_REUSED``;
* while the first request with a key is still running, another one waits for its answer (up to
  ``IDEMPOTENCY_WAIT_SECONDS``), then is told 409 ``IDEMPOTENCY_KEY_IN_USE`` with ``Retry-After``.

Keys are kept for ``IDEMPOTENCY_KEY_RETENTION_HOURS`` (docs/durability.md). The key is claimed in the
same database transaction that records the new checkout or job, so two concurrent requests with one
key can never both create something.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Header
from pydantic import BaseModel
from sqlalchemy import Connection, Engine, delete, insert, select, update

from hello_dd.services.common.database import write_transaction
from hello_dd.services.common.errors import ApiError
from hello_dd.services.gateway.database import idempotency_keys, utc_now

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        pattern=KEY_PATTERN,
        description="Makes a retry safe: the same key with the same body gets the first answer and creates nothing "
        "more; with another body it is refused (422 IDEMPOTENCY_KEY_REUSED); while the first request with the key "
        "runs, another waits for its answer (409 IDEMPOTENCY_KEY_IN_USE if it takes too long). 1-255 printable "
        "ASCII characters, e.g. a UUID; kept for 24 hours.",
        examples=["3f0c6a52-5d0e-4bfb-9b4e-6c1d7f1e2a10"],
    ),
]

IDEMPOTENCY_ERRORS = {
    409: "A request with this Idempotency-Key is still being processed (IDEMPOTENCY_KEY_IN_USE); retry later",
    422: "The request does not match the schema, or its Idempotency-Key was used with another body (IDEMPOTENCY_KEY_REUSED)",
}


@dataclass(frozen=True)
class KeyClaim:
    """An idempotency key and the fingerprint of the request that came with it."""

    scope: str
    key: str
    fingerprint: str

    @classmethod
    def of(cls, scope: str, key: str | None, request: BaseModel) -> KeyClaim | None:
        return None if key is None else cls(scope, key, fingerprint(request.model_dump(mode="json")))


def fingerprint(payload: Any) -> str:
    """The same for equal bodies, whatever their key order or spacing on the wire."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class KeyReused(ApiError):
    def __init__(self, claim: KeyClaim):
        super().__init__(
            422,
            "IDEMPOTENCY_KEY_REUSED",
            f"This {HEADER} was already used with a different request; use a new key for a new request.",
        )


class KeyInUse(ApiError):
    def __init__(self, retry_after_seconds: int = 1):
        super().__init__(
            409,
            "IDEMPOTENCY_KEY_IN_USE",
            f"A request with this {HEADER} is still being processed; retry in a moment to get its answer.",
            headers={"Retry-After": str(retry_after_seconds)},
        )


def bound_target(conn: Connection, claim: KeyClaim, target_id: str) -> str | None:
    """Inside a write transaction: binds the key to ``target_id`` when it is new and returns None;
    otherwise returns what it is bound to (raising :class:`KeyReused` for another body). A concurrent
    first use of the same key makes one of the two transactions fail on the primary key."""
    row = conn.execute(
        select(idempotency_keys.c.fingerprint, idempotency_keys.c.target_id)
        .where(idempotency_keys.c.scope == claim.scope, idempotency_keys.c.idempotency_key == claim.key)
        .with_for_update()
    ).first()
    if row is None:
        conn.execute(
            insert(idempotency_keys).values(
                scope=claim.scope,
                idempotency_key=claim.key,
                fingerprint=claim.fingerprint,
                target_id=target_id,
                created_at=utc_now(),
            )
        )
        return None
    if row.fingerprint != claim.fingerprint:
        raise KeyReused(claim)
    return str(row.target_id)


def rebind(conn: Connection, claim: KeyClaim, target_id: str) -> None:
    """Points the key at a new attempt: what it was bound to failed and created nothing."""
    conn.execute(
        update(idempotency_keys)
        .where(idempotency_keys.c.scope == claim.scope, idempotency_keys.c.idempotency_key == claim.key)
        .values(target_id=target_id)
    )


def forget_keys(engine: Engine, created_before: datetime) -> int:
    """Deletes the keys first used before ``created_before``; returns how many."""
    with write_transaction(engine) as conn:
        return conn.execute(delete(idempotency_keys).where(idempotency_keys.c.created_at < created_before)).rowcount
