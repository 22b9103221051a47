"""The stock repository against a real database (each test runs on SQLite, and on PostgreSQL when
its binaries are installed)."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import REGISTRY

from hello_dd.services.catalog import BY_ID
from hello_dd.services.inventory.domain import Line, LineCheck
from hello_dd.services.inventory.errors import InsufficientStock, ProductNotFound, ReservationNotFound
from hello_dd.services.inventory.stock import StockRepository


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _levels(stock: StockRepository, *product_ids: str) -> dict[str, tuple[int, int]]:
    return {pid: (level.available, level.reserved) for pid, level in stock.get_levels(product_ids).items()}


# --- stock levels -----------------------------------------------------------------------------


def test_get_level_reads_the_seeded_product(stock):
    level = stock.get_level("505")
    assert (level.product_id, level.name, level.warehouse) == ("505", "27-inch Monitor", "central-1")
    assert (level.available, level.reserved, level.in_stock) == (25, 0, True)
    assert stock.get_level("404").in_stock is False


def test_get_level_of_an_unknown_product_is_product_not_found(stock):
    with pytest.raises(ProductNotFound) as raised:
        stock.get_level("no-such-product")
    assert (raised.value.status, raised.value.code) == (404, "PRODUCT_NOT_FOUND")


def test_list_levels_pages_in_product_id_order(stock):
    first, total = stock.list_levels(limit=5, offset=0)
    second, _ = stock.list_levels(limit=5, offset=5)
    ids = [level.product_id for level in first + second]
    assert total == len(BY_ID)
    assert ids == sorted(BY_ID)[:10]


def test_set_available_counts_stock_without_touching_held_units(stock):
    stock.reserve("r-count", [Line("123", 3)])
    level = stock.set_available("123", 40)
    assert (level.available, level.reserved) == (40, 3)
    with pytest.raises(ProductNotFound):
        stock.set_available("no-such-product", 1)


def test_check_answers_each_line_without_holding_anything(stock):
    lines = [Line("505", 25), Line("505", 26), Line("404", 1), Line("ghost", 1)]
    assert stock.check(lines) == [
        LineCheck("505", True, 25, 25, True),
        LineCheck("505", True, 26, 25, False),
        LineCheck("404", True, 1, 0, False),
        LineCheck("ghost", False, 1, 0, False),
    ]
    assert _levels(stock, "505") == {"505": (25, 0)}


# --- reserving --------------------------------------------------------------------------------


def test_reserve_moves_units_from_available_to_reserved(stock):
    reservation, created = stock.reserve("r-1", [Line("123", 2), Line("456", 1)])
    assert created
    assert (reservation.reservation_id, reservation.status) == ("r-1", "held")
    assert reservation.items == (Line("123", 2), Line("456", 1))
    assert reservation.created_at.tzinfo is not None
    assert _levels(stock, "123", "456") == {"123": (4998, 2), "456": (4999, 1)}
    assert stock.get_reservation("r-1") == reservation


def test_reserve_may_take_the_last_unit_but_never_more(stock):
    stock.reserve("r-all", [Line("505", 25)])
    with pytest.raises(InsufficientStock):
        stock.reserve("r-one-more", [Line("505", 1)])
    assert _levels(stock, "505") == {"505": (0, 25)}


def test_insufficient_stock_names_every_short_line_and_changes_nothing(stock):
    with pytest.raises(InsufficientStock) as raised:
        stock.reserve("r-short", [Line("505", 30), Line("404", 1)])
    refusal = raised.value
    assert (refusal.status, refusal.code) == (409, "INSUFFICIENT_STOCK")
    assert refusal.details == [
        {"productId": "404", "requested": 1, "available": 0},
        {"productId": "505", "requested": 30, "available": 25},
    ]
    assert stock.find_reservation("r-short") is None


def test_a_failing_line_rolls_back_the_lines_that_succeeded(stock):
    # "123" sorts (and is updated) before "505": its decrement must be undone.
    with pytest.raises(InsufficientStock) as raised:
        stock.reserve("r-partial", [Line("123", 10), Line("505", 26)])
    assert [line["productId"] for line in raised.value.details] == ["505"]
    assert _levels(stock, "123", "505") == {"123": (5000, 0), "505": (25, 0)}
    assert stock.find_reservation("r-partial") is None


def test_an_unknown_product_refuses_the_whole_reservation(stock):
    with pytest.raises(ProductNotFound) as raised:
        stock.reserve("r-ghost", [Line("123", 1), Line("ghost", 1), Line("505", 99)])
    assert raised.value.details == {"productIds": ["ghost"]}
    assert _levels(stock, "123", "505") == {"123": (5000, 0), "505": (25, 0)}
    assert stock.find_reservation("r-ghost") is None


def test_repeated_products_are_combined_into_one_line(stock):
    reservation, _ = stock.reserve("r-dup", [Line("505", 20), Line("123", 1), Line("505", 5)])
    assert reservation.items == (Line("505", 25), Line("123", 1))
    with pytest.raises(InsufficientStock):
        stock.reserve("r-dup-too-many", [Line("123", 1), Line("123", 5000)])


def test_the_same_reservation_id_never_reserves_twice(stock):
    first, created = stock.reserve("r-idem", [Line("123", 2)])
    again, created_again = stock.reserve("r-idem", [Line("123", 2)])
    different, _ = stock.reserve("r-idem", [Line("456", 9)])
    assert (created, created_again) == (True, False)
    assert again == first and different == first
    assert _levels(stock, "123", "456") == {"123": (4998, 2), "456": (5000, 0)}


def test_a_refused_reservation_id_can_be_used_once_stock_arrives(stock):
    with pytest.raises(InsufficientStock):
        stock.reserve("r-later", [Line("404", 1)])
    stock.set_available("404", 1)
    reservation, created = stock.reserve("r-later", [Line("404", 1)])
    assert created and reservation.status == "held"


# --- releasing --------------------------------------------------------------------------------


def test_release_returns_the_units_once(stock):
    stock.reserve("r-rel", [Line("505", 10), Line("123", 2)])
    released = stock.release("r-rel")
    again = stock.release("r-rel")
    assert released.status == again.status == "released"
    assert again.items == (Line("505", 10), Line("123", 2))
    assert _levels(stock, "123", "505") == {"123": (5000, 0), "505": (25, 0)}
    assert stock.get_reservation("r-rel").status == "released"


def test_replaying_a_released_reservation_does_not_hold_stock_again(stock):
    stock.reserve("r-replay", [Line("505", 5)])
    stock.release("r-replay")
    reservation, created = stock.reserve("r-replay", [Line("505", 5)])
    assert (reservation.status, created) == ("released", False)
    assert _levels(stock, "505") == {"505": (25, 0)}


def test_unknown_reservations_are_not_found(stock):
    for action in (stock.get_reservation, stock.release):
        with pytest.raises(ReservationNotFound) as raised:
            action("r-none")
        assert (raised.value.status, raised.value.code) == (404, "RESERVATION_NOT_FOUND")


# --- metrics and logs -------------------------------------------------------------------------


def test_outcomes_and_units_are_counted(stock):
    before = {
        outcome: _sample("inventory_reservations_total", outcome=outcome)
        for outcome in ("reserved", "replayed", "insufficient_stock", "product_not_found")
    }
    reserved_units = _sample("inventory_units_reserved_total")
    released_units = _sample("inventory_units_released_total")

    stock.reserve("r-m", [Line("123", 3), Line("456", 1)])
    stock.reserve("r-m", [Line("123", 3)])
    with pytest.raises(InsufficientStock):
        stock.reserve("r-m-short", [Line("404", 1)])
    with pytest.raises(ProductNotFound):
        stock.reserve("r-m-ghost", [Line("ghost", 1)])
    stock.release("r-m")
    stock.release("r-m")

    for outcome, expected in {"reserved": 1, "replayed": 1, "insufficient_stock": 1, "product_not_found": 1}.items():
        assert _sample("inventory_reservations_total", outcome=outcome) - before[outcome] == expected
    assert _sample("inventory_units_reserved_total") - reserved_units == 4
    assert _sample("inventory_units_released_total") - released_units == 4


def test_reservations_and_releases_are_logged_with_their_ids_and_units(stock, caplog):
    caplog.set_level(logging.INFO, logger="hello_dd.services.inventory.stock")
    stock.reserve("r-log", [Line("123", 2), Line("456", 3)])
    stock.release("r-log")
    movements = [r for r in caplog.records if getattr(r, "reservation_id", None) == "r-log"]
    assert [(r.levelno, r.units, r.product_ids) for r in movements] == [
        (logging.INFO, 5, ["123", "456"]),
        (logging.INFO, 5, ["123", "456"]),
    ]
