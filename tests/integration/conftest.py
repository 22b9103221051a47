"""The session's shared reference stack (tests/conftest.py), and stacks of a test's own."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import requests

from hello_dd.stack import LocalStack, StackPorts


def start_stack(
    workdir: Path,
    database_url: str | None = None,
    gateway_database_url: str | None = None,
    settings: dict[str, str] | None = None,
) -> LocalStack:
    stack = LocalStack(
        StackPorts.free(),
        workdir=workdir,
        database_url=database_url,
        gateway_database_url=gateway_database_url,
        extra_env=settings,
    )
    stack.start(timeout=90)
    return stack


@pytest.fixture
def start_stack_at() -> Iterator:
    """Starts extra stacks inside one test (stopped at the end of it)."""
    started: list[LocalStack] = []

    def start(
        workdir: Path,
        database_url: str | None = None,
        gateway_database_url: str | None = None,
        settings: dict[str, str] | None = None,
    ) -> LocalStack:
        started.append(start_stack(workdir, database_url, gateway_database_url, settings))
        return started[-1]

    yield start
    for stack in started:
        stack.stop()


@pytest.fixture(scope="session")
def stack(shared_stack: LocalStack) -> LocalStack:
    return shared_stack


@pytest.fixture(scope="session")
def gateway(stack: LocalStack) -> str:
    return stack.urls["api-gateway"]


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def new_postgres_database(postgres_url: str) -> Iterator[Callable[[str], str]]:
    """Makes databases of their own on the session's PostgreSQL cluster (dropped at the end of the
    test); returns each one's URL."""
    made: list[str] = []

    def make(purpose: str) -> str:
        name = f"{purpose}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return postgres_url.rsplit("/", 1)[0] + f"/{name}"

    yield make
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        for name in made:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
