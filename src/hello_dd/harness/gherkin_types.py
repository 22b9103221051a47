"""Parameter types the step patterns use, so a step reads as business text and still parses exactly.

Registered once from environment.py, before behave loads the step modules.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from behave import register_type

from hello_dd.topology import NAMES

PRODUCT_ID = r"[A-Za-z0-9_-]+"
_SEPARATOR = re.compile(r",\s*|\s+and\s+")
# A quantity as a customer might send it: 2, -1, 2.5 or "two" (invalid ones are refused by the shop).
_QUANTITY = r'-?\d+(?:\.\d+)?|"[^"]*"'
_ORDER_LINE = rf"(?:{_QUANTITY}) of product {PRODUCT_ID}"
_ORDER_LINE_PARTS = re.compile(rf"({_QUANTITY}) of product ({PRODUCT_ID})")
# One of the topology's service names, longest first so that no name stops at a shorter one it begins with.
_SERVICE = "|".join(re.escape(name) for name in sorted(NAMES, key=len, reverse=True))


def parse_list(text: str) -> list[str]:
    """``123, 456 and 789`` -> ["123", "456", "789"]: a list written as a reader would (product ids,
    service names, log fields)."""
    return [part for part in _SEPARATOR.split(text.strip()) if part]


def parse_json_literal(text: str) -> Any:
    """``2`` -> 2, ``2.5`` -> 2.5, ``"two"`` -> "two": what a table cell means as a JSON value."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_order_lines(text: str) -> list[tuple[Any, str]]:
    """``2 of product 123 and 1 of product 456`` -> [(2, "123"), (1, "456")]."""
    return [(parse_json_literal(quantity), product) for quantity, product in _ORDER_LINE_PARTS.findall(text)]


def _typed(pattern: str):
    def decorate(func):
        func.pattern = pattern
        return func

    return decorate


@_typed(PRODUCT_ID)
def _product_id(text: str) -> str:
    return text


@_typed(rf"{PRODUCT_ID}(?:(?:,\s*|\s+and\s+){PRODUCT_ID})*")
def _product_ids(text: str) -> list[str]:
    return parse_list(text)


@_typed(r"\S+")
def _json_value(text: str) -> Any:
    return parse_json_literal(text)


@_typed(_SERVICE)
def _service(text: str) -> str:
    return text


@_typed(rf"(?:{_SERVICE})(?:(?:,\s*|\s+and\s+)(?:{_SERVICE}))*")
def _services(text: str) -> list[str]:
    return parse_list(text)


@_typed(rf"{_ORDER_LINE}(?:(?:,\s*|\s+and\s+){_ORDER_LINE})*")
def _order_lines(text: str) -> list[tuple[Any, str]]:
    return parse_order_lines(text)


@_typed(r"[A-Za-z0-9_.@-]+")
def _customer_id(text: str) -> str:
    return text


@_typed(r"\$\d+(?:\.\d{2})?")
def _money(text: str) -> Decimal:
    return Decimal(text.removeprefix("$"))


@_typed(r"\d+(?:\.\d+)? %")
def _percent(text: str) -> Decimal:
    """``8.25 %`` as the rate 0.0825."""
    return Decimal(text.removesuffix(" %")) / 100


def register() -> None:
    register_type(
        ProductId=_product_id,
        ProductIds=_product_ids,
        JsonValue=_json_value,
        Service=_service,
        Services=_services,
        OrderLines=_order_lines,
        CustomerId=_customer_id,
        Percent=_percent,
        Money=_money,
    )
