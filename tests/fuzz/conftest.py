"""One real stack for the fuzz tests (the three services as processes on free loopback ports, no trace
agent, a fresh state directory), and each service's own OpenAPI document loaded from it as a
schemathesis schema. Scoped to this package: the stack is stopped before the tests of other packages
run.

Product ids drawn at random almost never name a product the shop holds, so every request would stop
at "not found" and the code behind it (stock, prices, currencies, reservations) would never be fuzzed.
Each schema therefore gets a hook that swaps some of the generated product ids for ids of the seed
catalogue. A swap turns a valid id into another valid id and leaves any other value alone, so a
request stays exactly as valid or invalid as it was generated."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import strategies as st

from hello_dd.services.catalog import BY_ID
from hello_dd.services.common.models import ID_PATTERN
from hello_dd.stack import LocalStack, StackPorts

from .support import REQUESTS_SENT


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REQUESTS_SENT:
        seed = os.environ.get("HELLO_DD_FUZZ_SEED", "20261201 (the fixed default)")
        terminalreporter.write_line(f"fuzz: {sum(REQUESTS_SENT.values())} requests sent, seed {seed}")


@pytest.fixture(scope="package")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    stack = LocalStack(StackPorts.free(), workdir=tmp_path_factory.mktemp("fuzz-stack"), no_agent=True)
    stack.start(timeout=90)
    try:
        yield stack
    finally:
        stack.stop()


CATALOGUE_IDS = sorted(BY_ID)
VALID_ID = re.compile(ID_PATTERN)


def _sometimes_a_catalogue_id(value: Any) -> st.SearchStrategy[Any]:
    if isinstance(value, str) and VALID_ID.match(value):
        return st.one_of(st.just(value), st.sampled_from(CATALOGUE_IDS))
    return st.just(value)


def _ids_sometimes_from_the_catalogue(body: Any) -> st.SearchStrategy[Any]:
    """``productIds`` lists (bulk checks), ``items[].productId`` (orders, reservations, quotes) and a
    product id path parameter, each id swapped or kept."""
    if not isinstance(body, dict):
        return st.just(body)
    if isinstance(ids := body.get("productIds"), list):
        return st.tuples(*map(_sometimes_a_catalogue_id, ids)).map(lambda new: {**body, "productIds": list(new)})
    if isinstance(items := body.get("items"), list):
        return st.tuples(*(_line_sometimes_from_the_catalogue(item) for item in items)).map(
            lambda new: {**body, "items": list(new)}
        )
    for key in ("product_id", "productId"):  # the gateway's path parameter, the services' own
        if key in body:
            return _sometimes_a_catalogue_id(body[key]).map(lambda new, key=key: {**body, key: new})
    return st.just(body)


def _line_sometimes_from_the_catalogue(item: Any) -> st.SearchStrategy[Any]:
    if isinstance(item, dict) and "productId" in item:
        return _sometimes_a_catalogue_id(item["productId"]).map(lambda new: {**item, "productId": new})
    return st.just(item)


def _schema(stack: LocalStack, service: str) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_url(stack.urls[service] + "/openapi.json")
    for container in ("body", "path_parameters"):
        schema.hook(f"flatmap_{container}")(lambda context, value: _ids_sometimes_from_the_catalogue(value))
    return schema


@pytest.fixture(scope="package")
def gateway_schema(fuzz_stack: LocalStack) -> schemathesis.BaseSchema:
    return _schema(fuzz_stack, "api-gateway")


@pytest.fixture(scope="package")
def inventory_schema(fuzz_stack: LocalStack) -> schemathesis.BaseSchema:
    return _schema(fuzz_stack, "inventory-service")


@pytest.fixture(scope="package")
def pricing_schema(fuzz_stack: LocalStack) -> schemathesis.BaseSchema:
    return _schema(fuzz_stack, "pricing-service")
