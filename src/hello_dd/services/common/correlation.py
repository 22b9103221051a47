"""Correlation and request ids: accepted from the caller when well-formed, generated otherwise.

A value is accepted only if it is 1-128 characters from a conservative set (letters, digits and
``. _ : @ / + = -``). Anything else - newlines, control characters, oversized values - is replaced by
a fresh id and never written anywhere raw.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeGuard

CORRELATION_HEADER = "X-Correlation-Id"
REQUEST_HEADER = "X-Request-Id"
MAX_ID_LENGTH = 128

_VALID_ID = re.compile(rf"[A-Za-z0-9._:@/+=-]{{1,{MAX_ID_LENGTH}}}")

correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_id() -> str:
    return str(uuid.uuid4())


def is_valid_id(value: str | None) -> TypeGuard[str]:
    return value is not None and _VALID_ID.fullmatch(value) is not None


def accept_or_generate(value: str | None) -> tuple[str, bool]:
    """Return ``(id, replaced)``: the caller's id when valid, else a new one and ``replaced=True``
    when the caller did send something (an absent header is not a replacement)."""
    if is_valid_id(value):
        return value, False
    return new_id(), value is not None


def current_correlation_id() -> str | None:
    return correlation_id_var.get()


def current_request_id() -> str | None:
    return request_id_var.get()


def outgoing_headers() -> dict[str, str]:
    """Headers that carry the current ids to a downstream service."""
    headers = {}
    if cid := correlation_id_var.get():
        headers[CORRELATION_HEADER] = cid
    if rid := request_id_var.get():
        headers[REQUEST_HEADER] = rid
    return headers


@contextmanager
def acting_for(correlation_id: str | None, request_id: str | None) -> Iterator[None]:
    """Background work done for an earlier request (a checkout settled after a restart, a report job
    run again) carries that request's ids, so its log lines and downstream calls are found under them;
    a fresh id stands in for one that was not kept."""
    cid_token = correlation_id_var.set(correlation_id if is_valid_id(correlation_id) else new_id())
    rid_token = request_id_var.set(request_id if is_valid_id(request_id) else new_id())
    try:
        yield
    finally:
        correlation_id_var.reset(cid_token)
        request_id_var.reset(rid_token)
