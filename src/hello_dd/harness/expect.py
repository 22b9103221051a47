"""Assertions the steps share, in PyHamcrest, so a failure says what was expected and shows the
exchange that came back."""

from __future__ import annotations

from collections.abc import Sized
from decimal import Decimal
from typing import Any, TypeVar

from hamcrest import (
    any_of,
    assert_that,
    close_to,
    empty,
    equal_to,
    has_entries,
    has_key,
    instance_of,
    is_in,
    is_not,
    less_than,
    matches_regexp,
)
from hamcrest.core.matcher import Matcher

from hello_dd.harness.exchange import Exchange

VALID_ID = r"^[A-Za-z0-9._:@/+=-]{1,128}$"
# What a stack trace or internals leaking into a response would look like.
INTERNALS = ("Traceback", 'File "', '.py"', "sqlalchemy", "psycopg", "Exception(", "site-packages")

T = TypeVar("T")


def not_empty() -> Matcher[Sized]:
    """``is_not(empty())`` with its type written out: PyHamcrest's matcher types are invariant, so mypy
    cannot infer one matcher nested in another (PyHamcrest issues 207 and 264). For the same reason
    ``has_entries`` with matchers as values is called with a dict, whose type mypy does infer."""
    return is_not(empty())


def present(value: T | None, what: str) -> T:
    """``value`` is there; returns it. A missing value fails here, before a matcher that only takes a
    string (``matches_regexp``) raises a TypeError on it."""
    if value is None:
        raise AssertionError(f"{what}\nExpected: a value\n     but: was None")
    return value


def status(exchange: Exchange, expected: int) -> None:
    assert_that(exchange.status, equal_to(expected), f"unexpected status for\n{exchange.describe()}")


def error(exchange: Exchange, expected_status: int, expected_code: str) -> dict:
    """The exchange is an error in the contract's format with this status and code; returns the error."""
    status(exchange, expected_status)
    assert_that(exchange.body, instance_of(dict), f"the error body is not a JSON object:\n{exchange.describe()}")
    assert_that(exchange.body, has_key("error"), f"no error object in\n{exchange.describe()}")
    assert_that(
        exchange.body["error"], has_entries({"code": expected_code, "message": instance_of(str)}), exchange.describe()
    )
    return exchange.body["error"]


def invalid_naming(exchange: Exchange, *fields: str) -> dict:
    """A 422 validation error whose message or details name at least one of ``fields``."""
    found = error(exchange, 422, "VALIDATION_ERROR")
    text = str(found.get("details", "")) + found["message"]
    assert_that(any(f in text for f in fields), equal_to(True), f"the error should name {' or '.join(fields)}: {found}")
    return found


def correlation_id_matches(exchange: Exchange, expected: str) -> None:
    assert_that(exchange.correlation_id, equal_to(expected), f"X-Correlation-Id header of\n{exchange.describe()}")
    if exchange.error is not None:
        assert_that(exchange.body.get("correlationId"), equal_to(expected), "correlationId in the error body")


def fresh_id(exchange: Exchange, header: str, not_one_of: list[str]) -> str:
    value = present(exchange.header(header), f"{header} of\n{exchange.describe()}")
    assert_that(value, matches_regexp(VALID_ID), f"{header} of\n{exchange.describe()}")
    assert_that(
        value not in not_one_of, equal_to(True), f"{header} {value!r} should be newly made, not one the caller sent"
    )
    return value


def no_internals(exchange: Exchange) -> None:
    text = exchange.describe()
    leaked = [marker for marker in INTERNALS if marker in str(exchange.body)]
    assert_that(leaked, equal_to([]), f"the answer reveals server internals:\n{text}")


def one_of(value: object, allowed: list[object], what: str) -> None:
    assert_that(value, is_in(allowed), what)


def served_in_full(exchange: Exchange) -> dict:
    """A product page with both sections and not degraded; returns the page."""
    status(exchange, 200)
    assert_that(
        exchange.body,
        has_entries({"inventory": has_key("available"), "pricing": has_key("finalPrice")}),
        exchange.describe(),
    )
    assert_that(
        exchange.body.get("degraded"),
        is_not(True),
        f"a complete answer, not a degraded fallback:\n{exchange.describe()}",
    )
    return exchange.body


def same_fields(shown: dict, held: Exchange, names: tuple[str, ...]) -> None:
    """What the gateway showed agrees, field by field, with what the owning service answered."""
    status(held, 200)
    for name in names:
        assert_that(
            shown.get(name),
            equal_to(held.body.get(name)),
            f"{name}: the gateway showed {shown}, the service holds {held.body}",
        )


def converted_price(shown: dict, pricing: Any, product_id: str, currency: str) -> None:
    """The price shown is in ``currency``: the dollar price converted at pricing-service's published rate."""
    assert_that(shown.get("currency"), equal_to(currency), f"the currency of the price shown: {shown}")
    usd = pricing.price(product_id, "USD").body
    converted = pricing.convert(usd["finalPrice"], "USD", currency)
    status(converted, 200)
    assert_that(
        Decimal(str(shown["finalPrice"])),
        close_to(Decimal(str(converted.body["converted"])), Decimal("0.01")),
        str(shown),
    )


def carries_correlation_id(exchange: Exchange) -> str:
    """The answer names its correlation id (header, and body for an error); returns it."""
    correlation_id = present(exchange.correlation_id, f"X-Correlation-Id of\n{exchange.describe()}")
    assert_that(correlation_id, matches_regexp(VALID_ID), exchange.describe())
    if exchange.error is not None:
        assert_that(exchange.body.get("correlationId"), equal_to(correlation_id), "correlationId in the error body")
    return correlation_id


def degraded_without_price(exchange: Exchange, *codes: str) -> dict:
    """A product page shown with its stock but without its price, for one of ``codes``."""
    status(exchange, 200)
    assert_that(exchange.body, has_entries(degraded=True), exchange.describe())
    assert_that(exchange.body["inventory"], has_entries(productId=exchange.body["productId"]), exchange.describe())
    assert_that(exchange.body["pricing"], has_entries(available=False), exchange.describe())
    assert_that(exchange.body["pricing"]["error"]["code"], is_in(codes), exchange.describe())
    return exchange.body


def confirmed_order(exchange: Exchange) -> dict:
    """A confirmed order with an id and a total; returns the order."""
    status(exchange, 201)
    assert_that(exchange.body, has_entries(orderId=matches_regexp(r"\S+"), status="confirmed"), exchange.describe())
    a_number: Matcher[object] = any_of(instance_of(int), instance_of(float))
    assert_that(exchange.body.get("total"), a_number, "the total is a number")
    return exchange.body


def lines_at_list_price(order: dict, pricing: Any) -> None:
    """Every line of the order is priced at what pricing-service lists the product at."""
    for line in order["items"]:
        listed = pricing.price(line["productId"]).body
        assert_that(line["unitPrice"], equal_to(listed["finalPrice"]), f"unit price of product {line['productId']}")


def precondition(context: Any, holds: bool, why: str) -> None:
    """An example's data must hold on the stack: on a stack the suite runs itself it is a failure; on an
    external deployment whose data differs, the scenario is skipped with ``why`` (it cannot say anything)."""
    if holds:
        return
    if context.world.provider.controls_stack:
        raise AssertionError(f"precondition not met: {why}")
    context.scenario.skip(reason=f"precondition not met on this deployment: {why}")


#: "At once": an answer that did not wait for any dependency (an open circuit, a refused call).
AT_ONCE_MS = 500


def at_once(exchange: Exchange) -> None:
    assert_that(exchange.elapsed_ms, less_than(AT_ONCE_MS), f"answered at once (ms):\n{exchange.describe()}")


def within_budget(exchange: Exchange, policy: Any) -> None:
    """Answered within the time budget: twice the longest dependency timeout."""
    budget_ms = policy.time_budget_seconds * 1000
    assert_that(
        exchange.elapsed_ms,
        less_than(budget_ms),
        f"answered within the {budget_ms:g} ms time budget:\n{exchange.describe()}",
    )


def circuit_state(health: Exchange, service: str, state: str) -> None:
    """The gateway's health answer shows the circuit to ``service`` in ``state``."""
    status(health, 200)
    circuit = health.body.get("dependencies", {}).get(service, {}).get("circuit")
    assert_that(circuit, equal_to(state), f"the circuit to {service}:\n{health.describe()}")
