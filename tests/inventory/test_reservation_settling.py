"""How a held reservation is settled: confirmed with its order, released by its caller, or released by
the expiry of a hold nobody confirmed; and the upgrade of a database made before confirmation existed.
Each repository test runs on SQLite, and on PostgreSQL when its binaries are installed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from hello_dd.polling import poll
from hello_dd.services.common.database import create_db_engine
from hello_dd.services.common.settings import InventorySettings
from hello_dd.services.inventory.app import create_app
from hello_dd.services.inventory.database import create_schema, seed_catalogue
from hello_dd.services.inventory.domain import Line
from hello_dd.services.inventory.errors import ReservationNotHeld
from hello_dd.services.inventory.stock import StockRepository


def _level(stock: StockRepository, product_id: str) -> tuple[int, int]:
    level = stock.get_level(product_id)
    return level.available, level.reserved


def test_a_held_reservation_expires_at_the_end_of_its_hold(engine):
    stock = StockRepository(engine, hold_seconds=30)
    before = datetime.now(UTC)
    reservation, _ = stock.reserve("r-hold", [Line("123", 2)])
    assert reservation.status == "held"
    assert before + timedelta(seconds=29) < reservation.expires_at <= datetime.now(UTC) + timedelta(seconds=30)
    assert stock.find_reservation("r-hold").expires_at == reservation.expires_at


def test_confirming_keeps_the_units_reserved_for_good(engine):
    stock = StockRepository(engine)
    start = _level(stock, "123")
    stock.reserve("r-ok", [Line("123", 2)])
    confirmed = stock.confirm("r-ok")
    assert (confirmed.status, confirmed.expires_at) == ("confirmed", None)
    assert stock.confirm("r-ok") == confirmed  # a second confirmation changes nothing
    assert _level(stock, "123") == (start[0] - 2, start[1] + 2)
    # A confirmed reservation never expires, however late it is.
    assert stock.expire_due(now=datetime.now(UTC) + timedelta(days=365)) == 0
    assert _level(stock, "123") == (start[0] - 2, start[1] + 2)


def test_an_expired_hold_goes_back_on_the_shelf_once_and_cannot_be_confirmed(engine):
    stock = StockRepository(engine, hold_seconds=30)
    start = _level(stock, "456")
    stock.reserve("r-late", [Line("456", 3)])
    assert stock.expire_due() == 0  # not yet due
    later = datetime.now(UTC) + timedelta(seconds=31)
    assert stock.expire_due(now=later) == 1
    assert stock.expire_due(now=later) == 0  # an expired hold is released once
    assert _level(stock, "456") == start
    assert stock.find_reservation("r-late").status == "released"
    with pytest.raises(ReservationNotHeld) as refused:
        stock.confirm("r-late")
    assert (refused.value.status, refused.value.code) == (409, "RESERVATION_NOT_HELD")


def test_releasing_a_confirmed_reservation_undoes_it(engine):
    """The gateway undoes a checkout whose confirmation it could not be sure of."""
    stock = StockRepository(engine)
    start = _level(stock, "789")
    stock.reserve("r-undo", [Line("789", 1)])
    stock.confirm("r-undo")
    assert stock.release("r-undo").status == "released"
    assert stock.release("r-undo").status == "released"
    assert _level(stock, "789") == start


# --- over HTTP, with the service's own expiry sweep ---------------------------------------------------


def test_the_service_confirms_and_its_sweep_releases_unconfirmed_holds(sqlite_url):
    settings = InventorySettings(
        database_url=sqlite_url, tracer="none", reservation_hold_seconds=0.5, reservation_sweep_seconds=0.1
    )
    with TestClient(create_app(settings)) as client:
        start = client.get("/inventory/123").json()
        for reservation_id in ("kept", "forgotten"):
            body = {"reservationId": reservation_id, "items": [{"productId": "123", "quantity": 1}]}
            assert client.post("/reservations", json=body).status_code == 201
        confirmed = client.post("/reservations/kept/confirm")
        assert (confirmed.status_code, confirmed.json()["status"], confirmed.json()["expiresAt"]) == (
            200,
            "confirmed",
            None,
        )
        poll(
            lambda: client.get("/reservations/forgotten").json()["status"],
            lambda status: status == "released",
            timeout=10,
            interval=0.1,
            what="the unconfirmed hold released",
        )
        late = client.post("/reservations/forgotten/confirm")
        assert late.status_code == 409
        assert late.json()["error"]["code"] == "RESERVATION_NOT_HELD"
        assert late.json()["correlationId"]
        assert client.post("/reservations/ghost/confirm").status_code == 404
        now = client.get("/inventory/123").json()
        assert (now["available"], now["reserved"]) == (start["available"] - 1, start["reserved"] + 1)
        metrics = client.get("/metrics").text
        assert 'inventory_reservations_settled_total{outcome="expired"}' in metrics


# --- a database made before reservations could be confirmed --------------------------------------------

_OLD_SCHEMA = [
    "CREATE TABLE products (product_id VARCHAR(64) PRIMARY KEY, name VARCHAR(200) NOT NULL, category VARCHAR(64) NOT NULL, "
    "warehouse VARCHAR(64) NOT NULL, available BIGINT NOT NULL, reserved BIGINT NOT NULL, "
    "CONSTRAINT ck_products_available_not_negative CHECK (available >= 0), "
    "CONSTRAINT ck_products_reserved_not_negative CHECK (reserved >= 0))",
    "CREATE TABLE reservations (reservation_id VARCHAR(128) PRIMARY KEY, status VARCHAR(16) NOT NULL, "
    "created_at TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT ck_reservations_status CHECK (status IN ('held', 'released')))",
    "CREATE TABLE reservation_lines (reservation_id VARCHAR(128) NOT NULL REFERENCES reservations (reservation_id), "
    "line_no INTEGER NOT NULL, product_id VARCHAR(64) NOT NULL REFERENCES products (product_id), quantity BIGINT NOT NULL, "
    "PRIMARY KEY (reservation_id, line_no), CONSTRAINT ck_reservation_lines_quantity_positive CHECK (quantity > 0))",
    "INSERT INTO products VALUES ('123', 'Widget', 'tools', 'east', 8, 2)",
    "INSERT INTO reservations VALUES ('old-held', 'held', '2026-01-01 00:00:00+00'), ('old-gone', 'released', '2026-01-01 00:00:00+00')",
    "INSERT INTO reservation_lines VALUES ('old-held', 0, '123', 2), ('old-gone', 0, '123', 1)",
]


def test_a_database_from_before_confirmation_is_upgraded_and_its_stale_holds_expire(database_url):
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as conn:
            for statement in _OLD_SCHEMA:
                conn.execute(text(statement))
        create_schema(engine)
        seed_catalogue(engine)
        assert "expires_at" in {c["name"] for c in inspect(engine).get_columns("reservations")}
        stock = StockRepository(engine)
        assert stock.find_reservation("old-held").items == (Line("123", 2),)
        assert stock.find_reservation("old-gone").status == "released"
        # A hold from before the upgrade can never be confirmed by its (restarted) gateway: it expires.
        assert stock.expire_due() == 1
        assert _level(stock, "123") == (10, 0)
        stock.reserve("new", [Line("123", 1)])
        assert stock.confirm("new").status == "confirmed"
        create_schema(engine)  # a second start changes nothing
        assert stock.find_reservation("new").status == "confirmed"
    finally:
        engine.dispose()
