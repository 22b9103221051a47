"""Inventory fixtures: the repository over a fresh database per test (``database_url``: a SQLite file,
or PostgreSQL when available; see tests/conftest.py), and the application behind a TestClient."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hello_dd.services.common.settings import InventorySettings
from hello_dd.services.inventory.app import create_app
from hello_dd.services.inventory.database import create_db_engine, create_schema, seed_catalogue
from hello_dd.services.inventory.stock import StockRepository


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
