"""Schema migrations (Alembic, run at start-up) on SQLite and PostgreSQL: an empty database gets every
revision; a database whose tables were made before revisions were tracked is stamped and keeps its
rows; a second start changes nothing; and the newest revision's tables are exactly the ones the
service's queries use (its ``metadata``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, MetaData, insert, inspect, select

from hello_dd.services.common.migrations import current_revision
from hello_dd.services.gateway import database as gateway
from hello_dd.services.inventory import database as inventory

HEADS = {"inventory": "0002", "gateway": "0001"}


def _migrate_inventory(url: str) -> Engine:
    engine = inventory.create_db_engine(url)
    inventory.create_schema(engine)
    return engine


def _migrate_gateway(url: str) -> Engine:
    return gateway.Database(url).engine


SERVICES: dict[str, tuple[Callable[[str], Engine], MetaData]] = {
    "inventory": (_migrate_inventory, inventory.metadata),
    "gateway": (_migrate_gateway, gateway.metadata),
}


def _shape(engine: Engine) -> dict[str, set[str]]:
    tables = inspect(engine)
    return {
        name: {column["name"] for column in tables.get_columns(name)}
        for name in tables.get_table_names()
        if name != "alembic_version"
    }


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_an_empty_database_gets_the_tables_the_queries_use(service, database_url):
    migrate, metadata = SERVICES[service]
    engine = migrate(database_url)
    try:
        assert current_revision(engine) == HEADS[service]
        assert _shape(engine) == {table.name: {c.name for c in table.columns} for table in metadata.sorted_tables}
        migrate(database_url).dispose()  # a second start
        assert current_revision(engine) == HEADS[service]
    finally:
        engine.dispose()


def test_a_gateway_database_from_before_revisions_is_stamped_and_keeps_its_orders(database_url):
    engine = gateway.create_db_engine(database_url)
    try:
        gateway.metadata.tables["orders"].create(engine)  # an old start, before the other tables existed
        with engine.begin() as conn:
            conn.execute(
                insert(gateway.orders).values(
                    order_id="o-1", customer_id="c", created_at=gateway.utc_now(), document="{}"
                )
            )
        _migrate_gateway(database_url).dispose()
        assert current_revision(engine) == "0001"
        assert set(_shape(engine)) == set(gateway.metadata.tables)
        with engine.connect() as conn:
            assert conn.execute(select(gateway.orders.c.order_id)).scalars().all() == ["o-1"]
    finally:
        engine.dispose()
