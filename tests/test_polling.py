"""The one way the project waits: hello_dd.polling (its first cases are in tests/harness/test_harness_parts.py)."""

import asyncio
import itertools

import pytest

from hello_dd.polling import PollTimeout, poll, poll_async


class NotYet(Exception):
    pass


def test_an_error_the_caller_names_is_retried_and_shown_when_time_runs_out():
    answers = iter([NotYet("booting"), NotYet("booting"), "up"])

    def fetch():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert poll(fetch, lambda v: v == "up", timeout=5, interval=0.01, retry_on=(NotYet,)) == "up"
    with pytest.raises(RuntimeError, match=r"gave up after \d+ checks: booting") as failure:
        poll(
            lambda: (_ for _ in ()).throw(NotYet("booting")),
            timeout=0.05,
            interval=0.01,
            retry_on=(NotYet,),
            fail=lambda last, checks: RuntimeError(f"gave up after {checks} checks: {last}"),
        )
    assert isinstance(failure.value.__cause__, NotYet)


def test_an_error_the_caller_does_not_name_ends_the_wait_at_once():
    calls = itertools.count(1)

    def fetch():
        next(calls)
        raise ValueError("broken")

    with pytest.raises(ValueError, match="broken"):
        poll(fetch, timeout=5, interval=0.01)
    assert next(calls) == 2  # one call only


def test_poll_async_waits_in_the_event_loop():
    values = iter(range(10))

    async def fetch():
        return next(values)

    assert asyncio.run(poll_async(fetch, lambda v: v == 2, timeout=5, interval=0.01)) == 2
    with pytest.raises(PollTimeout, match="the count: not reached"):
        asyncio.run(poll_async(fetch, lambda v: v > 100, timeout=0.05, interval=0.01, what="the count"))


def test_poll_async_awaits_what_a_plain_function_returns():
    async def three():
        return 3

    assert asyncio.run(poll_async(lambda: three(), lambda v: v == 3, timeout=1, interval=0.01)) == 3


def test_on_timeout_last_returns_what_the_last_check_saw_instead_of_failing():
    seen = iter(range(1000))
    checks = []

    def fetch() -> int:
        checks.append(value := next(seen))
        return value

    last = poll(fetch, lambda value: value < 0, timeout=0.3, interval=0.05, on_timeout="last")
    assert last == checks[-1] and len(checks) > 1  # the last check's result, not one fetched after it
    with pytest.raises(PollTimeout):
        poll(fetch, lambda value: value < 0, timeout=0.1, interval=0.05)


def test_on_timeout_last_still_returns_at_once_when_the_condition_holds():
    assert poll(lambda: 3, lambda value: value == 3, timeout=1, on_timeout="last") == 3


def test_on_timeout_last_after_a_named_error_still_fails_with_the_error():
    def fetch() -> int:
        raise ConnectionError("refused")

    with pytest.raises(PollTimeout, match="refused"):
        poll(fetch, timeout=0.1, interval=0.05, retry_on=(ConnectionError,), on_timeout="last")
