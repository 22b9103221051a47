"""Waiting with a deadline, the one way the project does it: fetch until a condition holds (tenacity's
retrying, on a fixed interval, stopped by the timeout), and say what was last seen when it never does.

``poll`` waits in a thread (the suite, the local stack, the tests); ``poll_async`` in an event loop (the
services). A fetch that raises ends the wait with its exception, unless the caller names it in
``retry_on``; when the time is up, ``fail(last, checks)`` gives the exception to raise, ``last`` being
what the last check returned or raised (by default a :class:`PollTimeout` naming ``what``). With
``on_timeout="last"`` the time being up is no failure: the wait returns what the last check returned, for
the caller's own comparison to say what is missing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_base,
    retry_if_exception_type,
    retry_if_result,
    stop_before_delay,
)

T = TypeVar("T")
#: What a wait does when the time is up: raise (PollTimeout, or ``fail``'s exception), or return the last result.
OnTimeout = Literal["raise", "last"]


class PollTimeout(AssertionError):
    """The condition did not hold before the deadline (an AssertionError, so behave reports a failure)."""


def _settings(
    until: Callable[[Any], bool],
    timeout: float,
    interval: float | Callable[[Any], float],
    what: str,
    fail: Callable[[Any, int], BaseException] | None,
    retry_on: tuple[type[BaseException], ...],
    on_timeout: OnTimeout,
) -> dict[str, Any]:
    def give_up(state: RetryCallState) -> Any:
        outcome = state.outcome
        if on_timeout == "last" and outcome is not None and not outcome.failed:
            return outcome.result()
        # What the last check saw: its result, or the error named in retry_on that it raised.
        error = outcome.exception() if outcome is not None and outcome.failed else None
        last = error if outcome is None or error is not None else outcome.result()
        if fail is not None:
            raise fail(last, state.attempt_number) from error
        raise PollTimeout(
            f"{what}: not reached within {timeout:g} s ({state.attempt_number} checks). Last seen: {last}"
        ) from error

    retry: retry_base = retry_if_result(lambda value: not until(value))
    if retry_on:
        retry = retry | retry_if_exception_type(retry_on)

    def pause(state: RetryCallState) -> float:
        outcome = state.outcome
        if callable(interval):  # chosen from what the last check returned (none after an error it raised)
            return 0.0 if outcome is None or outcome.failed else float(interval(outcome.result()))
        return interval

    return {
        # never a pause that would end past the timeout: the last check comes before it
        "stop": stop_before_delay(timeout),
        "wait": pause,
        "retry": retry,
        "retry_error_callback": give_up,
    }


def poll(
    fetch: Callable[[], T],
    until: Callable[[T], bool] = bool,
    *,
    timeout: float,
    interval: float | Callable[[T], float] = 0.2,
    what: str = "the condition",
    fail: Callable[[T, int], BaseException] | None = None,
    retry_on: tuple[type[BaseException], ...] = (),
    on_timeout: OnTimeout = "raise",
) -> T:
    """``fetch()`` again every ``interval`` s (or as long as ``interval(last)`` says: a Retry-After)
    until ``until`` holds for what it returns (returned), for at most ``timeout`` s."""
    result: T = Retrying(**_settings(until, timeout, interval, what, fail, retry_on, on_timeout))(fetch)
    return result


async def poll_async(
    fetch: Callable[[], Awaitable[T]],
    until: Callable[[T], bool] = bool,
    *,
    timeout: float,
    interval: float | Callable[[T], float] = 0.2,
    what: str = "the condition",
    fail: Callable[[T, int], BaseException] | None = None,
    retry_on: tuple[type[BaseException], ...] = (),
    on_timeout: OnTimeout = "raise",
) -> T:
    """:func:`poll` in an event loop: the waits are ``asyncio.sleep``."""

    async def attempt() -> T:  # a coroutine function, which tenacity awaits (a lambda's coroutine it would not)
        return await fetch()

    result: T = await AsyncRetrying(**_settings(until, timeout, interval, what, fail, retry_on, on_timeout))(attempt)
    return result
