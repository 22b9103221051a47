"""The read path of async routes (``StockRepository.read``): on SQLite the query runs on the event
loop's thread, on a connection held for it, which must always see the latest committed stock; on a
database server it goes to a worker thread."""

from __future__ import annotations

import asyncio
import threading

import pytest

from hello_dd.services.inventory.database import inline_reads
from hello_dd.services.inventory.domain import Line
from hello_dd.services.inventory.errors import ProductNotFound
from hello_dd.services.inventory.stock import StockRepository


def test_sqlite_reads_run_inline_and_postgresql_reads_do_not(stock, database_url):
    assert inline_reads(stock._engine) is database_url.startswith("sqlite")


def test_a_read_sees_every_write_committed_before_it(stock: StockRepository):
    async def scenario():
        before = await stock.read(stock.get_level, "123")
        # Writes happen elsewhere (a worker thread in the service); the held reader must not keep
        # an old snapshot.
        await asyncio.to_thread(stock.set_available, "123", before.available - 7)
        after_count = await stock.read(stock.get_level, "123")
        reservation, _ = await asyncio.to_thread(stock.reserve, "r-read-path", [Line("123", 3)])
        after_reserve = await stock.read(stock.get_levels, ["123", "456"])
        return before, after_count, after_reserve

    before, after_count, after_reserve = asyncio.run(scenario())
    assert after_count.available == before.available - 7
    assert after_reserve["123"].available == before.available - 10
    assert after_reserve["123"].reserved == before.reserved + 3
    stock.close()


def test_reads_on_sqlite_hold_one_connection_of_the_event_loop_thread(stock: StockRepository, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the held read connection is SQLite's")

    async def scenario():
        await stock.read(stock.get_level, "123")
        first = stock._reader
        await stock.read(stock.get_levels, ["123"])
        return first, stock._reader, stock._reader_thread

    first, second, thread = asyncio.run(scenario())
    assert first is second and thread == threading.get_ident()
    assert first.get_execution_options()["isolation_level"] == "AUTOCOMMIT"
    # No transaction left open on the SQLite connection itself: it would pin an old snapshot.
    assert first.connection.dbapi_connection.in_transaction is False
    # Another thread (a write route's worker) never borrows it.
    seen = []
    worker = threading.Thread(target=lambda: seen.append(stock.get_level("123").available))
    worker.start()
    worker.join()
    assert seen
    stock.close()
    assert stock._reader is None


def test_an_unknown_product_is_refused_through_the_read_path(stock: StockRepository):
    with pytest.raises(ProductNotFound):
        asyncio.run(stock.read(stock.get_level, "no-such-product"))
    stock.close()


def test_the_service_answers_reads_after_writes(client):
    # End to end through the routes: writes in worker threads, reads on the event loop.
    if True:
        client.put("/inventory/123/stock", json={"available": 4321})
        assert client.get("/inventory/123").json()["available"] == 4321
        client.post("/reservations", json={"reservationId": "rp-1", "items": [{"productId": "123", "quantity": 21}]})
        body = client.post("/inventory/bulk", json={"productIds": ["123"]}).json()
        assert body["items"][0]["available"] == 4300
        checked = client.post("/inventory/check", json={"items": [{"productId": "123", "quantity": 4300}]}).json()
        assert checked["sufficient"] is True
