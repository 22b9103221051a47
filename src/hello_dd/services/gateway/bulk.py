"""Pattern 3, the bulk check: deduplicate, sort, page, split into chunks, check chunks in parallel,
and aggregate. A failed chunk does not fail the request: its ids are reported with the error and the
response is marked ``partial``.

Limits (documented in the API): at most ``bulk_max_ids`` ids per request (default 200); ids are
checked in chunks of ``bulk_chunk_size`` (default 20) with at most ``bulk_concurrency`` chunks in
flight; results come sorted by product id (numeric ids in numeric order, then the others), one per
distinct id, ``pageSize`` per page (default 100).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from hello_dd.services.gateway.resilience import DependencyError

T = TypeVar("T")


def product_sort_key(product_id: str) -> tuple[int, int, str]:
    return (0, int(product_id), "") if product_id.isdigit() else (1, 0, product_id)


def distinct_sorted(product_ids: Sequence[str]) -> list[str]:
    return sorted(set(product_ids), key=product_sort_key)


def page_of(items: Sequence[T], page: int, page_size: int) -> list[T]:
    start = (page - 1) * page_size
    return list(items[start : start + page_size])


def total_pages(count: int, page_size: int) -> int:
    return max(1, math.ceil(count / page_size))


def chunks(items: Sequence[T], size: int) -> list[list[T]]:
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


async def gather_chunks(
    ids: Sequence[str],
    chunk_size: int,
    concurrency: int,
    fetch: Callable[[list[str]], Awaitable[list[dict[str, Any]]]],
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Fetch ``ids`` chunk by chunk, ``concurrency`` chunks at a time.

    Returns the items by product id, and for ids whose chunk failed, the failure's error code.
    """
    limit = asyncio.Semaphore(concurrency)

    async def one(chunk: list[str]) -> list[dict[str, Any]]:
        async with limit:
            return await fetch(chunk)

    parts = chunks(ids, chunk_size)
    outcomes = await asyncio.gather(*(one(chunk) for chunk in parts), return_exceptions=True)
    found: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    for chunk, outcome in zip(parts, outcomes, strict=False):
        if isinstance(outcome, DependencyError):
            failed.update({pid: outcome.code for pid in chunk})
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            found.update({item["productId"]: item for item in outcome})
    return found, failed
