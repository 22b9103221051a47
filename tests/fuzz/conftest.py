"""One real stack for the fuzz tests (the three services as processes on free loopback ports, no trace
agent), and each service's own OpenAPI document loaded from it as a schemathesis schema. Scoped to
this package: the stack is stopped before the tests of other packages run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis

from hello_dd.stack import LocalStack, StackPorts


@pytest.fixture(scope="package")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    stack = LocalStack(StackPorts.free(), workdir=tmp_path_factory.mktemp("fuzz-stack"), no_agent=True)
    stack.start(timeout=90)
    try:
        yield stack
    finally:
        stack.stop()


def _schema(stack: LocalStack, service: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(stack.urls[service] + "/openapi.json")


@pytest.fixture(scope="package")
def gateway_schema(fuzz_stack: LocalStack) -> schemathesis.BaseSchema:
    return _schema(fuzz_stack, "api-gateway")


@pytest.fixture(scope="package")
def inventory_schema(fuzz_stack: LocalStack) -> schemathesis.BaseSchema:
    return _schema(fuzz_stack, "inventory-service")


@pytest.fixture(scope="package")
def pricing_schema(fuzz_stack: LocalStack) -> schemathesis.BaseSchema:
    return _schema(fuzz_stack, "pricing-service")
