"""Background work that repeats while a service runs (the inventory's expiry sweep, the gateway's
checkout recovery and housekeeping): started in the lifespan, stopped with it, never killed by an error."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

log = logging.getLogger(__name__)


async def repeat(
    name: str, interval: float, work: Callable[[], Awaitable[object]], *, first_delay: float | None = None
) -> None:
    """Runs ``work`` every ``interval`` seconds (first after ``first_delay``, default ``interval``)
    until cancelled. A failure is logged with its stack trace and the next round runs as planned."""
    await asyncio.sleep(interval if first_delay is None else first_delay)
    while True:
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except Exception:  # a background loop must outlive one bad round
            log.exception("%s failed; trying again in %g s", name, interval)
        await asyncio.sleep(interval)


@asynccontextmanager
async def running(*loops: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Runs the given loops (from :func:`repeat`) as tasks for the duration of the block."""
    tasks = [asyncio.get_running_loop().create_task(loop) for loop in loops]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
