"""Every name the scenarios check is one the contract states: the error codes, the fields of the
gateway's answers, the metric names and label values. A step that starts checking a name the contract
does not state fails here, and so does a name the contract lists as checked that no step checks any
more (the lists below are the scenarios' side: each is checked both ways).

Error codes, metric names and label values are found in the steps and features themselves (they are distinctive);
field names are a curated list, each of which must still be read by a step or the harness they call,
be stated in docs/gateway-api.md and be a property in the gateway's OpenAPI document."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from hello_dd.harness.policy import Policy

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "src" / "hello_dd" / "harness"
# What the steps check with: the steps and the harness modules whose assertions they call.


def _module_files(name: str) -> list[Path]:
    """A harness module's file, or a package's modules (its ``__init__`` only re-exports)."""
    module = HARNESS / f"{name}.py"
    if module.is_file():
        return [module]
    return sorted(path for path in (HARNESS / name).glob("*.py") if path.name != "__init__.py")


STEP_SOURCES = [
    *sorted((ROOT / "steps").glob("*.py")),
    *(
        path
        for name in ("expect", "clients", "circuits", "metrics", "logs", "money", "bulk_order")
        for path in _module_files(name)
    ),
]
FEATURES = sorted((ROOT / "features").glob("*.feature"))
CONTRACT = ROOT / "docs" / "contract.md"
GATEWAY_API = ROOT / "docs" / "gateway-api.md"
GATEWAY_OPENAPI = ROOT / "docs" / "openapi" / "api-gateway.json"

_CODE_LITERAL = re.compile(r"""["']([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)["']""")
_CODE_WORD = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
_METRIC = re.compile(r"\b[a-z]+(?:_[a-z]+)*_(?:total|state|seconds)\b")
_QUOTED = re.compile(r"""["']([a-z_]+)["']""")
_LABEL_VALUE = re.compile(r"\b(outcome|state|result)=([a-z_-]+)")
# The heading of gateway-api.md's table of the error codes the scenarios check.
_CHECKED_CODES_TABLE = re.compile(r"Error codes the scenarios check.*?\n\n(.*?)\n\n", re.S)

# The fields of the gateway's answers (and the request fields and query parameters) the scenarios use, by
# where they are.
FIELDS = {
    "every answer, errors": ["error", "code", "message", "details", "dependency", "correlationId"],
    "health": ["status", "service", "dependencies", "circuit"],
    "product query": [
        "productId",
        "inventory",
        "pricing",
        "degraded",
        "available",
        "reserved",
        "inStock",
        "warehouse",
        "basePrice",
        "finalPrice",
        "currency",
    ],
    "checkout": [
        "items",
        "quantity",
        "customerId",
        "discountCode",
        "orderId",
        "total",
        "unitPrice",
        "lineTotal",
        "subtotal",
        "discountTotal",
        "discounts",
        "taxRate",
        "tax",
    ],
    "bulk check": [
        "productIds",
        "includePricing",
        "page",
        "pageSize",
        "results",
        "found",
        "summary",
        "duplicates",
        "pagination",
        "totalPages",
        "totalResults",
        "partial",
    ],
    "reports": ["reportType", "startDate", "endDate", "jobId", "result", "products", "outOfStock"],
    "cascade": ["attempts", "fallback"],
}
# Names the harness reads that are not the gateway's: the request metrics of every service.
HARNESS_METRICS = ("http_requests_total", "http_request_duration_seconds")


@cache
def _text(path: Path) -> str:
    return path.read_text()


def _steps() -> str:
    return "\n".join(_text(path) for path in STEP_SOURCES)


def _features() -> str:
    return "\n".join(_text(path) for path in FEATURES)


def _documented() -> str:
    return _text(CONTRACT) + _text(GATEWAY_API)


def _in_code_span(name: str, text: str) -> bool:
    """``name`` as a word inside a Markdown code span (`name`, `results[].name`, `name: 0`)."""
    return re.search(rf"`[^`\n]*(?<![\w-]){re.escape(name)}(?![\w-])[^`\n]*`", text) is not None


def checked_codes() -> set[str]:
    """The error codes steps and features check."""
    return set(_CODE_LITERAL.findall(_steps())) | set(_CODE_WORD.findall(_features()))


def test_every_error_code_a_scenario_checks_is_stated_by_the_contract() -> None:
    missing = sorted(code for code in checked_codes() if not _in_code_span(code, _documented()))
    assert missing == [], (
        f"error codes the scenarios check that docs/contract.md and docs/gateway-api.md never state: {missing}"
    )


def test_every_code_the_contract_lists_as_checked_is_checked() -> None:
    table = _CHECKED_CODES_TABLE.search(_text(GATEWAY_API))
    assert table, "docs/gateway-api.md has no table of the error codes the scenarios check"
    listed = set(_CODE_WORD.findall(table.group(1)))
    assert listed, "the table of checked error codes is empty"
    # Dependency failures are reached through their codes in the steps or through the cascade's answer.
    unchecked = sorted(listed - checked_codes() - {"DEPENDENCY_FAILED"})
    assert unchecked == [], (
        f"docs/gateway-api.md lists these codes as checked, no step or feature checks them: {unchecked}"
    )


def _openapi_properties(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                yield from value
            if key == "parameters" and isinstance(value, list):
                yield from (p["name"] for p in value if isinstance(p, dict) and "name" in p)
            yield from _openapi_properties(value)
    elif isinstance(node, list):
        for item in node:
            yield from _openapi_properties(item)


@pytest.mark.parametrize("field", sorted({field for fields in FIELDS.values() for field in fields}))
def test_every_field_a_step_reads_is_stated_and_described(field: str) -> None:
    assert re.search(rf"""["']{field}["']|\b{field}=""", _steps()), (
        f"no step reads {field!r} any more: take it off the list in this test"
    )
    assert _in_code_span(field, _text(GATEWAY_API)), f"docs/gateway-api.md does not state the field {field!r}"
    described = set(_openapi_properties(json.loads(_text(GATEWAY_OPENAPI))))
    assert field in described, f"the gateway's OpenAPI document describes no field {field!r}"


def test_every_metric_and_label_value_a_scenario_reads_is_stated_by_the_contract() -> None:
    # The operator's features say what is counted; the steps name the metric (a string) that counts it.
    policy_numbers = set(dir(Policy))  # "timeout_seconds" names a number of the policy, not a metric
    in_steps = {name for name in _QUOTED.findall(_steps()) if _METRIC.fullmatch(name)} - policy_numbers
    metrics = set(_METRIC.findall(_features())) | in_steps | set(HARNESS_METRICS)
    values = {value for _, value in _LABEL_VALUE.findall(_features() + _steps())}
    contract = _text(CONTRACT)
    missing = sorted(name for name in metrics | values if not _in_code_span(name, contract))
    assert missing == [], (
        f"metric names or label values the scenarios read that docs/contract.md never states: {missing}"
    )
    assert all(name in _steps() for name in HARNESS_METRICS), "the harness no longer reads the request metrics"
