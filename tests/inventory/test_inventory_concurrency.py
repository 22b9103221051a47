"""Reservations under real concurrency: many threads, one database, no application locks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from hello_dd.services.inventory.domain import Line
from hello_dd.services.inventory.errors import InsufficientStock
from hello_dd.services.inventory.stock import StockRepository

T = TypeVar("T")
THREADS = 200


def _all_at_once(tasks: list[Callable[[], T]]) -> list[T | Exception]:
    """Runs every task on its own thread, released together, and returns results or exceptions."""
    gate = threading.Barrier(len(tasks))

    def run(task: Callable[[], T]) -> T | Exception:
        gate.wait()
        try:
            return task()
        except Exception as exc:  # the test counts the outcomes
            return exc

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        return list(pool.map(run, tasks))


def test_two_hundred_buyers_of_fifty_units_get_exactly_fifty(stock: StockRepository):
    stock.set_available("505", 50)
    outcomes = _all_at_once([lambda n=n: stock.reserve(f"buyer-{n}", [Line("505", 1)]) for n in range(THREADS)])

    won = [outcome for outcome in outcomes if isinstance(outcome, tuple)]
    lost = [outcome for outcome in outcomes if isinstance(outcome, InsufficientStock)]
    assert (len(won), len(lost)) == (50, THREADS - 50), [o for o in outcomes if isinstance(o, Exception)][:3]
    level = stock.get_level("505")
    assert (level.available, level.reserved) == (0, 50)


def test_concurrent_requests_with_one_reservation_id_reserve_once(stock: StockRepository):
    outcomes = _all_at_once([lambda: stock.reserve("same-order", [Line("123", 2)]) for _ in range(20)])

    assert all(isinstance(outcome, tuple) for outcome in outcomes), outcomes
    assert sum(created for _, created in outcomes) == 1
    assert len({reservation for reservation, _ in outcomes}) == 1
    level = stock.get_level("123")
    assert (level.available, level.reserved) == (4998, 2)


def test_concurrent_releases_return_the_units_once(stock: StockRepository):
    stock.reserve("release-race", [Line("456", 7)])
    outcomes = _all_at_once([lambda: stock.release("release-race") for _ in range(20)])

    assert all(outcome.status == "released" for outcome in outcomes), outcomes
    level = stock.get_level("456")
    assert (level.available, level.reserved) == (5000, 0)


def test_orders_naming_the_same_products_in_opposite_orders_do_not_deadlock(stock: StockRepository):
    orders = [[Line("123", 1), Line("456", 1)], [Line("456", 1), Line("123", 1)]]
    outcomes = _all_at_once([lambda n=n: stock.reserve(f"crossed-{n}", orders[n % 2]) for n in range(40)])

    failures = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert not failures, failures[:3]
    assert {pid: level.reserved for pid, level in stock.get_levels(["123", "456"]).items()} == {"123": 40, "456": 40}
