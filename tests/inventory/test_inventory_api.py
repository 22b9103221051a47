"""The inventory HTTP API through FastAPI's TestClient (lifespan included): every route, the error
bodies of the contract, and validation."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hello_dd.services.catalog import BY_ID


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code
    assert body["correlationId"] == response.headers["x-correlation-id"]
    return body["error"]


def _reserve(client: TestClient, reservation_id: str, *lines: tuple[str, int]):
    items = [{"productId": product_id, "quantity": quantity} for product_id, quantity in lines]
    return client.post("/reservations", json={"reservationId": reservation_id, "items": items})


# --- operations -------------------------------------------------------------------------------


def test_health_names_the_database_backend(client):
    body = client.get("/health").json()
    assert body == {"status": "ok", "service": "inventory-service", "version": body["version"], "database": "sqlite"}


def test_metrics_expose_the_inventory_counters(client):
    _reserve(client, "metrics-1", ("123", 1))
    text = client.get("/metrics").text
    for name in ("inventory_reservations_total", "inventory_units_reserved_total", "inventory_units_released_total"):
        assert name in text
    assert 'inventory_reservations_total{outcome="reserved"}' in text


def test_openapi_documents_the_contract_in_camel_case(client):
    spec = client.get("/openapi.json").json()
    for path in (
        "/inventory",
        "/inventory/{productId}",
        "/inventory/{productId}/stock",
        "/inventory/bulk",
        "/inventory/check",
        "/reservations",
        "/reservations/{reservationId}",
        "/reservations/{reservationId}/release",
        "/cascade-probe/error",
        "/cascade-probe/slow",
    ):
        assert path in spec["paths"], path
    assert set(spec["components"]["schemas"]["StockItem"]["properties"]) == {
        "productId",
        "found",
        "name",
        "category",
        "warehouse",
        "available",
        "reserved",
        "inStock",
    }
    assert "409" in spec["paths"]["/reservations"]["post"]["responses"]


# --- stock levels -----------------------------------------------------------------------------


def test_list_is_sorted_and_paged(client):
    body = client.get("/inventory").json()
    assert (body["total"], body["limit"], body["offset"], len(body["items"])) == (len(BY_ID), 100, 0, len(BY_ID))
    assert [item["productId"] for item in body["items"]] == sorted(BY_ID)
    page = client.get("/inventory", params={"limit": 3, "offset": 2}).json()
    assert [item["productId"] for item in page["items"]] == sorted(BY_ID)[2:5]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "ten"}])
def test_list_rejects_bad_paging(client, params):
    _error(client.get("/inventory", params=params), 422, "VALIDATION_ERROR")


def test_get_returns_a_stock_item(client):
    assert client.get("/inventory/123").json() == {
        "productId": "123",
        "found": True,
        "name": "Wireless Mouse",
        "category": "electronics",
        "warehouse": "east-1",
        "available": 5000,
        "reserved": 0,
        "inStock": True,
    }
    assert client.get("/inventory/404").json()["inStock"] is False


def test_get_unknown_product_is_404(client):
    error = _error(client.get("/inventory/999999"), 404, "PRODUCT_NOT_FOUND")
    assert error["details"] == {"productIds": ["999999"]}


@pytest.mark.parametrize("product_id", ["a" * 65, "bad.id", "semi;colon", "sp ace"])
def test_get_rejects_malformed_product_ids(client, product_id):
    error = _error(client.get(f"/inventory/{product_id}"), 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "path.productId"


def test_put_stock_sets_available_units(client):
    response = client.put("/inventory/404/stock", json={"available": 12})
    assert response.status_code == 200
    assert (response.json()["available"], response.json()["inStock"]) == (12, True)
    assert client.get("/inventory/404").json()["available"] == 12


def test_put_stock_errors(client):
    _error(client.put("/inventory/nope/stock", json={"available": 1}), 404, "PRODUCT_NOT_FOUND")
    for body in ({"available": -1}, {"available": 1.5}, {"available": "3"}, {}):
        _error(client.put("/inventory/123/stock", json=body), 422, "VALIDATION_ERROR")
    malformed = client.put("/inventory/123/stock", content=b"{not json", headers={"content-type": "application/json"})
    _error(malformed, 400, "MALFORMED_JSON")


def test_bulk_answers_in_request_order_with_missing_products(client):
    response = client.post("/inventory/bulk", json={"productIds": ["505", "ghost", "123", "505"]})
    assert response.status_code == 200
    items = response.json()["items"]
    assert [(item["productId"], item["found"]) for item in items] == [
        ("505", True),
        ("ghost", False),
        ("123", True),
        ("505", True),
    ]
    assert items[1] == {"productId": "ghost", "found": False}


@pytest.mark.parametrize(
    "body",
    [{"productIds": []}, {"productIds": [str(n) for n in range(101)]}, {"productIds": ["ok", "not ok"]}, {}],
)
def test_bulk_validation(client, body):
    _error(client.post("/inventory/bulk", json=body), 422, "VALIDATION_ERROR")


def test_check_reports_each_line_and_the_overall_answer(client):
    body = {
        "items": [
            {"productId": "123", "quantity": 2},
            {"productId": "505", "quantity": 26},
            {"productId": "ghost", "quantity": 1},
        ]
    }
    assert client.post("/inventory/check", json=body).json() == {
        "sufficient": False,
        "lines": [
            {"productId": "123", "found": True, "requested": 2, "available": 5000, "sufficient": True},
            {"productId": "505", "found": True, "requested": 26, "available": 25, "sufficient": False},
            {"productId": "ghost", "found": False, "requested": 1, "available": 0, "sufficient": False},
        ],
    }
    enough = client.post("/inventory/check", json={"items": [{"productId": "505", "quantity": 25}]}).json()
    assert enough["sufficient"] is True
    assert client.get("/inventory/505").json()["reserved"] == 0


@pytest.mark.parametrize(
    "items",
    [
        [],
        [{"productId": "123", "quantity": 1}] * 51,
        [{"productId": "123", "quantity": 0}],
        [{"productId": "123", "quantity": 1_000_001}],
        [{"productId": "123", "quantity": True}],
        [{"productId": "bad id", "quantity": 1}],
        [{"quantity": 1}],
    ],
)
def test_check_validation(client, items):
    _error(client.post("/inventory/check", json={"items": items}), 422, "VALIDATION_ERROR")


# --- reservations -----------------------------------------------------------------------------


def test_reservation_lifecycle(client):
    created = _reserve(client, "order-1", ("123", 2), ("456", 1))
    assert created.status_code == 201
    reservation = created.json()
    assert {k: reservation[k] for k in ("reservationId", "status", "items")} == {
        "reservationId": "order-1",
        "status": "held",
        "items": [{"productId": "123", "quantity": 2}, {"productId": "456", "quantity": 1}],
    }
    assert reservation["createdAt"].endswith("Z") or reservation["createdAt"].endswith("+00:00")
    assert client.get("/inventory/123").json()["reserved"] == 2
    assert client.get("/reservations/order-1").json() == reservation

    released = client.post("/reservations/order-1/release")
    assert (released.status_code, released.json()["status"]) == (200, "released")
    again = client.post("/reservations/order-1/release")
    assert (again.status_code, again.json()) == (200, released.json())
    stock = client.get("/inventory/123").json()
    assert (stock["available"], stock["reserved"]) == (5000, 0)


def test_repeating_a_reservation_returns_it_with_200_and_reserves_once(client):
    first = _reserve(client, "order-2", ("505", 5))
    second = _reserve(client, "order-2", ("505", 5))
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    assert client.get("/inventory/505").json()["available"] == 20


def test_insufficient_stock_is_409_with_the_short_lines(client):
    error = _error(_reserve(client, "order-3", ("123", 1), ("505", 9999)), 409, "INSUFFICIENT_STOCK")
    assert error["details"] == [{"productId": "505", "requested": 9999, "available": 25}]
    assert client.get("/inventory/123").json()["reserved"] == 0
    _error(client.get("/reservations/order-3"), 404, "RESERVATION_NOT_FOUND")


def test_reserving_an_unknown_product_is_404(client):
    error = _error(_reserve(client, "order-4", ("ghost", 1)), 404, "PRODUCT_NOT_FOUND")
    assert error["details"] == {"productIds": ["ghost"]}


def test_unknown_reservations_are_404(client):
    _error(client.get("/reservations/nope"), 404, "RESERVATION_NOT_FOUND")
    _error(client.post("/reservations/nope/release"), 404, "RESERVATION_NOT_FOUND")


@pytest.mark.parametrize(
    "body",
    [
        {"items": [{"productId": "123", "quantity": 1}]},
        {"reservationId": "", "items": [{"productId": "123", "quantity": 1}]},
        {"reservationId": "has space", "items": [{"productId": "123", "quantity": 1}]},
        {"reservationId": "x" * 129, "items": [{"productId": "123", "quantity": 1}]},
        {"reservationId": "order-5", "items": []},
        {"reservationId": "order-5", "items": [{"productId": "123", "quantity": -2}]},
    ],
)
def test_reservation_validation(client, body):
    _error(client.post("/reservations", json=body), 422, "VALIDATION_ERROR")


def test_reservation_id_in_the_path_is_validated(client):
    _error(client.get("/reservations/" + "x" * 129), 422, "VALIDATION_ERROR")


def test_stock_survives_a_restart(make_app, sqlite_url):
    with TestClient(make_app(sqlite_url)) as first:
        assert _reserve(first, "before-restart", ("505", 5)).status_code == 201
        first.put("/inventory/123/stock", json={"available": 3})
    with TestClient(make_app(sqlite_url)) as second:
        assert second.get("/inventory/505").json()["reserved"] == 5
        assert second.get("/inventory/123").json()["available"] == 3
        assert second.get("/reservations/before-restart").json()["status"] == "held"


# --- PostgreSQL -------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_service_runs_on_a_plain_postgresql_url(make_app, fresh_postgres_url):
    with TestClient(make_app(fresh_postgres_url)) as client:
        assert client.get("/health").json()["database"] == "postgresql"
        assert _reserve(client, "pg-order", ("123", 2)).status_code == 201
        assert _reserve(client, "pg-order", ("123", 2)).status_code == 200
        _error(_reserve(client, "pg-short", ("505", 26)), 409, "INSUFFICIENT_STOCK")
        assert client.post("/reservations/pg-order/release").json()["status"] == "released"
        assert client.get("/inventory/123").json()["available"] == 5000
