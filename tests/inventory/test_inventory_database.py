"""The database layer: URL handling, SQLite configuration, schema and the catalogue seed."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from hello_dd.services.catalog import BY_ID, CATALOGUE
from hello_dd.services.inventory.database import (
    backend_name,
    create_db_engine,
    create_schema,
    normalise_url,
    products,
    seed_catalogue,
)
from hello_dd.services.inventory.domain import Line
from hello_dd.services.inventory.stock import StockRepository


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://u:p@db:5432/inventory", "postgresql+psycopg"),
        ("postgres://u:p@db:5432/inventory", "postgresql+psycopg"),
        ("postgresql+psycopg://u@db/inventory", "postgresql+psycopg"),
        ("sqlite:///./inventory.db", "sqlite"),
    ],
)
def test_postgresql_urls_use_the_installed_psycopg3_driver(given, driver):
    url = normalise_url(given)
    assert url.drivername == driver
    assert url.database in ("inventory", "./inventory.db")


def test_other_databases_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="sqlite:/// or postgresql://"):
        create_db_engine("mysql://u@h/db")


def test_backend_name_is_what_health_reports():
    assert backend_name("sqlite:///x.db") == "sqlite"
    assert backend_name("postgresql://u@h/db") == "postgresql"


def test_sqlite_file_gets_its_directory_wal_and_a_busy_timeout(tmp_path):
    path = tmp_path / "nested" / "dir" / "inventory.db"
    engine = create_db_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert path.parent.is_dir()
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_is_refused_with_a_reason(url):
    with pytest.raises(ValueError, match="in-memory"):
        create_db_engine(url)


def _rows(engine):
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(products).order_by(products.c.product_id))]


def test_seed_inserts_the_whole_catalogue_once(engine):
    assert len(_rows(engine)) == len(CATALOGUE)
    assert seed_catalogue(engine) == 0
    level = StockRepository(engine).get_level("123")
    assert (level.name, level.available, level.reserved) == ("Wireless Mouse", BY_ID["123"].initial_stock, 0)


def test_seed_never_overwrites_existing_stock_and_restores_missing_products(engine):
    stock = StockRepository(engine)
    stock.reserve("held-before-restart", [Line("123", 2)])
    stock.set_available("123", 7)
    with engine.begin() as conn:
        conn.execute(delete(products).where(products.c.product_id == "456"))

    assert seed_catalogue(engine) == 1
    assert (stock.get_level("123").available, stock.get_level("123").reserved) == (7, 2)
    assert stock.get_level("456").available == BY_ID["456"].initial_stock


def test_seed_is_deterministic(tmp_path):
    engines = [create_db_engine(f"sqlite:///{tmp_path}/{n}.db") for n in (1, 2)]
    try:
        for engine in engines:
            create_schema(engine)
            seed_catalogue(engine)
        assert _rows(engines[0]) == _rows(engines[1])
    finally:
        for engine in engines:
            engine.dispose()
