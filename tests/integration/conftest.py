"""A real reference stack (test agent + three service processes on free loopback ports) per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from hello_dd.stack import LocalStack, StackPorts


def start_stack(workdir: Path, database_url: str | None = None) -> LocalStack:
    stack = LocalStack(StackPorts.free(), workdir=workdir, database_url=database_url)
    stack.start(timeout=90)
    return stack


@pytest.fixture
def start_stack_at() -> Iterator:
    """Starts extra stacks inside one test (stopped at the end of it)."""
    started: list[LocalStack] = []

    def start(workdir: Path, database_url: str | None = None) -> LocalStack:
        started.append(start_stack(workdir, database_url))
        return started[-1]

    yield start
    for stack in started:
        stack.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    stack = start_stack(tmp_path_factory.mktemp("stack"))
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def gateway(stack: LocalStack) -> str:
    return stack.urls["api-gateway"]


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session
