"""Waiting with a deadline: poll until a condition holds, and say what was last seen when it never does."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class PollTimeout(AssertionError):
    """The condition did not hold before the deadline (an AssertionError, so behave reports a failure)."""


def poll(
    fetch: Callable[[], T],
    until: Callable[[T], bool],
    *,
    timeout: float,
    interval: float = 0.2,
    what: str,
) -> T:
    deadline = time.monotonic() + timeout
    attempts = 0
    while True:
        last = fetch()
        attempts += 1
        if until(last):
            return last
        if time.monotonic() >= deadline:
            raise PollTimeout(f"{what}: not reached within {timeout:g} s ({attempts} checks). Last seen: {last}")
        time.sleep(interval)
