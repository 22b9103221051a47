"""Parameter types the step patterns use, so a step reads as business text and still parses exactly.

Registered once from environment.py, before behave loads the step modules.
"""

from __future__ import annotations

import json
import re
from typing import Any

from behave import register_type

PRODUCT_ID = r"[A-Za-z0-9_-]+"
_SEPARATOR = re.compile(r",\s*|\s+and\s+")


def parse_product_ids(text: str) -> list[str]:
    return [part for part in _SEPARATOR.split(text.strip()) if part]


def parse_json_literal(text: str) -> Any:
    """``2`` -> 2, ``2.5`` -> 2.5, ``"two"`` -> "two": what a table cell means as a JSON value."""
    try:
        return json.loads(text)
    except ValueError:
        return text


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
    return parse_product_ids(text)


@_typed(r"\S+")
def _json_value(text: str) -> Any:
    return parse_json_literal(text)


@_typed(r"api-gateway|inventory-service|pricing-service")
def _service(text: str) -> str:
    return text


@_typed(r"(?:api-gateway|inventory-service|pricing-service)(?:(?:,\s*|\s+and\s+)(?:api-gateway|inventory-service|pricing-service))*")
def _services(text: str) -> list[str]:
    return parse_product_ids(text)


def register() -> None:
    register_type(
        ProductId=_product_id,
        ProductIds=_product_ids,
        JsonValue=_json_value,
        Service=_service,
        Services=_services,
    )
