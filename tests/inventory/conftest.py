"""Inventory fixtures: a fresh database per test (SQLite file, or PostgreSQL when available), the
repository over it, and the application behind a TestClient."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hello_dd.services.common.settings import InventorySettings
from hello_dd.services.inventory.app import create_app
from hello_dd.services.inventory.database import create_db_engine, create_schema, seed_catalogue
from hello_dd.services.inventory.stock import StockRepository


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/inventory.db"


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """A database of its own on the session's cluster, dropped afterwards."""
    name = f"inventory_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request) -> str:
    """Runs a test once per supported backend."""
    fixture = "sqlite_url" if request.param == "sqlite" else "fresh_postgres_url"
    return request.getfixturevalue(fixture)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    create_schema(engine)
    seed_catalogue(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def stock(engine: Engine) -> StockRepository:
    return StockRepository(engine)


@pytest.fixture
def make_app() -> Callable[[str], FastAPI]:
    """Builds the service on a given database, with tracing off so no test exports spans."""

    def make(database_url: str) -> FastAPI:
        return create_app(InventorySettings(database_url=database_url, tracer="none"))

    return make


@pytest.fixture
def client(make_app: Callable[[str], FastAPI], sqlite_url: str) -> Iterator[TestClient]:
    with TestClient(make_app(sqlite_url)) as client:
        yield client
