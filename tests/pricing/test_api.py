"""Every pricing-service route and error through the real application (in-process cache)."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from hello_dd.services.catalog import CATALOGUE

from .support import wait_for

ORDER = {"items": [{"productId": "123", "quantity": 10}, {"productId": "456", "quantity": 1}], "customerId": "c-1"}


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _error_code(response) -> str:
    return response.json()["error"]["code"]


def _quote(client, **changes) -> dict:
    response = client.post("/quotes", json={**ORDER, **changes})
    assert response.status_code == 201, response.text
    return response.json()


# --- operations --------------------------------------------------------------------------------


def test_health_names_the_service_and_its_cache(client):
    response = client.get("/health", headers={"X-Correlation-Id": "pricing-test-1"})
    assert response.json() == {
        "status": "ok",
        "service": "pricing-service",
        "version": response.json()["version"],
        "cache": "memory",
    }
    assert response.headers["X-Correlation-Id"] == "pricing-test-1"


def test_metrics_expose_the_pricing_counters(client):
    text = client.get("/metrics").text
    assert 'pricing_quotes_total{outcome="created"}' in text
    assert 'pricing_cache_requests_total{result="hit"}' in text


def test_openapi_documents_every_route_with_camel_case_bodies(client):
    spec = client.get("/openapi.json").json()
    assert {
        "/prices/{productId}",
        "/prices/bulk",
        "/quotes",
        "/quotes/{quoteId}",
        "/quotes/{quoteId}/finalize",
        "/currencies",
        "/convert",
        "/analytics/summary",
        "/cascade-probe/error",
        "/cascade-probe/slow",
    } <= set(spec["paths"])
    assert "customerId" in spec["components"]["schemas"]["QuoteRequest"]["properties"]
    assert client.get("/docs").status_code == 200


def test_an_oversized_body_is_refused(client):
    response = client.post("/quotes", content=b"x" * 1_048_577, headers={"content-type": "application/json"})
    assert (response.status_code, _error_code(response)) == (413, "PAYLOAD_TOO_LARGE")


# --- prices ------------------------------------------------------------------------------------


def test_a_price_defaults_to_usd(client):
    assert client.get("/prices/123").json() == {
        "productId": "123",
        "found": True,
        "basePrice": 29.99,
        "currency": "USD",
        "discountPercent": 0,
        "finalPrice": 29.99,
    }


@pytest.mark.parametrize(("currency", "final"), [("EUR", 27.59), ("gbp", 23.69), ("JPY", 4543.49)])
def test_a_price_converts_the_usd_base(client, currency, final):
    body = client.get("/prices/123", params={"currency": currency}).json()
    assert (body["basePrice"], body["currency"], body["finalPrice"]) == (29.99, currency.upper(), final)


def test_an_unknown_product_has_no_price(client):
    response = client.get("/prices/999999")
    assert (response.status_code, _error_code(response)) == (404, "PRODUCT_NOT_FOUND")
    assert response.json()["correlationId"]


def test_an_unsupported_currency_is_a_bad_request(client):
    response = client.get("/prices/123", params={"currency": "XXX"})
    assert (response.status_code, _error_code(response)) == (400, "UNSUPPORTED_CURRENCY")


@pytest.mark.parametrize("product_id", ["bad%20id", "a" * 65, "semi;colon"])
def test_a_malformed_product_id_is_invalid(client, product_id):
    response = client.get(f"/prices/{product_id}")
    assert (response.status_code, _error_code(response)) == (422, "VALIDATION_ERROR")


def test_a_second_lookup_is_a_cache_hit(client):
    hits_before = _metric("pricing_cache_requests_total", result="hit")
    client.get("/prices/202", params={"currency": "EUR"})
    client.get("/prices/202", params={"currency": "EUR"})
    client.get("/prices/202", params={"currency": "GBP"})
    assert _metric("pricing_cache_requests_total", result="hit") == hits_before + 1
    assert client.get("/analytics/summary").json()["cache"] == {"backend": "memory", "hits": 1, "misses": 2}


def test_bulk_prices_keep_request_order_and_mark_unknown_ids(client):
    response = client.post("/prices/bulk", json={"productIds": ["456", "nope", "123"], "currency": "EUR"})
    assert response.json() == {
        "items": [
            {
                "productId": "456",
                "found": True,
                "basePrice": 49.99,
                "currency": "EUR",
                "discountPercent": 0,
                "finalPrice": 45.99,
            },
            {"productId": "nope", "found": False},
            {
                "productId": "123",
                "found": True,
                "basePrice": 29.99,
                "currency": "EUR",
                "discountPercent": 0,
                "finalPrice": 27.59,
            },
        ]
    }


def test_bulk_prices_default_to_usd(client):
    items = client.post("/prices/bulk", json={"productIds": ["101"]}).json()["items"]
    assert items[0]["currency"] == "USD"


def test_bulk_prices_refuse_an_unsupported_currency(client):
    response = client.post("/prices/bulk", json={"productIds": ["123"], "currency": "ABC"})
    assert (response.status_code, _error_code(response)) == (400, "UNSUPPORTED_CURRENCY")


@pytest.mark.parametrize(
    "body",
    [{"productIds": []}, {"productIds": [str(n) for n in range(101)]}, {"productIds": ["no spaces"]}, {}],
)
def test_bulk_prices_validate_the_id_list(client, body):
    response = client.post("/prices/bulk", json=body)
    assert (response.status_code, _error_code(response)) == (422, "VALIDATION_ERROR")


def test_malformed_json_is_a_bad_request(client):
    response = client.post("/prices/bulk", content=b"{not json", headers={"content-type": "application/json"})
    assert (response.status_code, _error_code(response)) == (400, "MALFORMED_JSON")


# --- quotes ------------------------------------------------------------------------------------


def test_a_quote_prices_lines_and_volume_discounts(client):
    quote = _quote(client)
    assert quote["customerId"] == "c-1" and quote["currency"] == "USD"
    assert quote["lines"] == [
        {"productId": "123", "quantity": 10, "unitPrice": 29.99, "lineTotal": 299.9, "volumeDiscount": 15.0},
        {"productId": "456", "quantity": 1, "unitPrice": 49.99, "lineTotal": 49.99, "volumeDiscount": 0},
    ]
    assert quote["subtotal"] == 349.89
    assert [(d["code"], d["amount"]) for d in quote["discounts"]] == [("VOLUME", 15.0)]
    assert quote["discountTotal"] == 15.0
    assert quote["expiresAt"].endswith("Z")


def test_save10_is_applied_after_volume(client):
    quote = _quote(client, discountCode="SAVE10")
    assert [(d["code"], d["amount"]) for d in quote["discounts"]] == [("VOLUME", 15.0), ("SAVE10", 34.99)]
    assert quote["discountTotal"] == 49.99


def test_welcome5_never_goes_below_zero(client):
    quote = _quote(client, items=[{"productId": "303", "quantity": 1}], discountCode="welcome5")
    assert quote["discounts"] == [{"code": "WELCOME5", "description": "5.00 USD off a first order", "amount": 4.5}]
    assert quote["discountTotal"] == quote["subtotal"] == 4.5


def test_a_quote_in_another_currency_uses_converted_unit_prices(client):
    quote = _quote(client, items=[{"productId": "123", "quantity": 2}], currency="JPY")
    assert quote["currency"] == "JPY"
    assert quote["lines"][0]["unitPrice"] == 4543.49 and quote["subtotal"] == 9086.98


def test_a_quote_names_every_unknown_product(client):
    items = [
        {"productId": "nope-1", "quantity": 1},
        {"productId": "123", "quantity": 1},
        {"productId": "nope-2", "quantity": 1},
    ]
    response = client.post("/quotes", json={**ORDER, "items": items})
    assert (response.status_code, _error_code(response)) == (404, "PRODUCT_NOT_FOUND")
    assert response.json()["error"]["details"] == {"productIds": ["nope-1", "nope-2"]}


def test_an_unknown_discount_code_is_a_bad_request(client):
    rejected_before = _metric("pricing_quotes_total", outcome="rejected")
    response = client.post("/quotes", json={**ORDER, "discountCode": "FREE100"})
    assert (response.status_code, _error_code(response)) == (400, "INVALID_DISCOUNT_CODE")
    assert _metric("pricing_quotes_total", outcome="rejected") == rejected_before + 1


def test_a_quote_in_an_unsupported_currency_is_a_bad_request(client):
    response = client.post("/quotes", json={**ORDER, "currency": "XYZ"})
    assert (response.status_code, _error_code(response)) == (400, "UNSUPPORTED_CURRENCY")


@pytest.mark.parametrize(
    "change",
    [
        {"items": []},
        {"items": [{"productId": "123", "quantity": 1}] * 51},
        {"items": [{"productId": "123", "quantity": 0}]},
        {"items": [{"productId": "123", "quantity": 1_000_001}]},
        {"items": [{"productId": "123", "quantity": "2"}]},
        {"items": [{"productId": "123", "quantity": 1.5}]},
        {"items": [{"productId": "bad id", "quantity": 1}]},
        {"customerId": ""},
        {"customerId": "x" * 65},
        {"customerId": "who?"},
        {"customerId": None},
        {"discountCode": ""},
    ],
)
def test_a_malformed_quote_request_is_invalid(client, change):
    response = client.post("/quotes", json={**ORDER, **change})
    assert (response.status_code, _error_code(response)) == (422, "VALIDATION_ERROR"), response.text


def test_the_largest_valid_quote_is_accepted(client):
    items = [{"productId": "1000", "quantity": 1_000_000}] + [{"productId": "123", "quantity": 1}] * 49
    quote = _quote(client, items=items, customerId="a.b@c_d-e")
    assert len(quote["lines"]) == 50


def test_a_quote_reads_back_unchanged(client):
    quote = _quote(client)
    response = client.get(f"/quotes/{quote['quoteId']}")
    assert (response.status_code, response.json()) == (200, quote)


def test_an_unknown_quote_is_not_found(client):
    for response in (client.get("/quotes/no-such-quote"), client.post("/quotes/no-such-quote/finalize")):
        assert (response.status_code, _error_code(response)) == (404, "QUOTE_NOT_FOUND")


def test_finalizing_adds_tax_on_the_discounted_amount(client):
    quote = _quote(client, discountCode="SAVE10")
    response = client.post(f"/quotes/{quote['quoteId']}/finalize")
    assert response.status_code == 200
    assert response.json() == {
        **quote,
        "taxRate": 0.0825,
        "taxableAmount": 299.9,
        "tax": 24.74,
        "total": 324.64,
        "finalized": True,
    }


def test_the_tax_rate_comes_from_the_settings(make_client):
    client = make_client(tax_rate=0.2)
    quote = _quote(client, items=[{"productId": "101", "quantity": 1}])
    final = client.post(f"/quotes/{quote['quoteId']}/finalize").json()
    assert (final["taxRate"], final["tax"], final["total"]) == (0.2, 2.5, 15.0)


def test_finalizing_twice_returns_the_same_final_quote_and_counts_once(client):
    quote_id = _quote(client)["quoteId"]
    first = client.post(f"/quotes/{quote_id}/finalize").json()
    second = client.post(f"/quotes/{quote_id}/finalize").json()
    assert first == second
    assert client.get(f"/quotes/{quote_id}").json() == first
    summary = client.get("/analytics/summary").json()
    assert (summary["quotesIssued"], summary["quotesFinalized"]) == (1, 1)


def test_a_quote_expires_after_the_quote_ttl(make_client):
    client = make_client(quote_ttl_seconds=0.3)
    quote_id = _quote(client)["quoteId"]
    assert client.get(f"/quotes/{quote_id}").status_code == 200
    wait_for(lambda: client.get(f"/quotes/{quote_id}").status_code == 404)
    assert _error_code(client.post(f"/quotes/{quote_id}/finalize")) == "QUOTE_NOT_FOUND"


def test_quote_events_are_logged_with_ids_and_totals(client, pricing_logs):
    quote_id = _quote(client)["quoteId"]
    client.post(f"/quotes/{quote_id}/finalize")
    issued, finalized = [r for r in pricing_logs if getattr(r, "quote_id", None) == quote_id]
    assert (issued.subtotal, issued.discount_total) == (349.89, 15.0)
    assert (finalized.tax, finalized.total) == (27.63, 362.52)  # 334.89 * 0.0825 = 27.628


# --- currencies and conversion -----------------------------------------------------------------


def test_currencies_list_the_fixed_rates(client):
    assert client.get("/currencies").json() == {
        "base": "USD",
        "rates": {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "JPY": 151.5},
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            {"amount": "10", "from": "EUR", "to": "GBP"},
            {"amount": 10.0, "from": "EUR", "to": "GBP", "converted": 8.59, "rate": 0.858696},
        ),
        (
            {"amount": "29.99", "from": "usd", "to": "jpy"},
            {"amount": 29.99, "from": "USD", "to": "JPY", "converted": 4543.49, "rate": 151.5},
        ),
        (
            {"amount": "0", "from": "GBP", "to": "USD"},
            {"amount": 0, "from": "GBP", "to": "USD", "converted": 0, "rate": 1.265823},
        ),
    ],
)
def test_convert_between_supported_currencies(client, query, expected):
    assert client.get("/convert", params=query).json() == expected


@pytest.mark.parametrize(
    "query", [{"amount": "1", "from": "USD", "to": "BTC"}, {"amount": "1", "from": "XXX", "to": "USD"}]
)
def test_convert_refuses_unsupported_currencies(client, query):
    response = client.get("/convert", params=query)
    assert (response.status_code, _error_code(response)) == (400, "UNSUPPORTED_CURRENCY")


@pytest.mark.parametrize(
    "query",
    [
        {"from": "USD", "to": "EUR"},
        {"amount": "-1", "from": "USD", "to": "EUR"},
        {"amount": "NaN", "from": "USD", "to": "EUR"},
        {"amount": "ten", "from": "USD", "to": "EUR"},
        {"amount": "1"},
    ],
)
def test_convert_validates_its_query(client, query):
    response = client.get("/convert", params=query)
    assert (response.status_code, _error_code(response)) == (422, "VALIDATION_ERROR")


# --- analytics ---------------------------------------------------------------------------------


def test_the_summary_describes_the_catalogue_and_this_instance(client):
    _quote(client)
    summary = client.get("/analytics/summary").json()
    assert summary["products"] == len(CATALOGUE) and summary["currency"] == "USD"
    assert (summary["minPrice"], summary["maxPrice"]) == (4.5, 249.0)
    assert sum(c["products"] for c in summary["byCategory"].values()) == len(CATALOGUE)
    assert (summary["quotesIssued"], summary["quotesFinalized"]) == (1, 0)
    assert summary["cache"] == {"backend": "memory", "hits": 0, "misses": 2}


def test_the_summary_in_another_currency(client):
    summary = client.get("/analytics/summary", params={"currency": "EUR"}).json()
    assert (summary["currency"], summary["minPrice"], summary["maxPrice"]) == ("EUR", 4.14, 229.08)
    response = client.get("/analytics/summary", params={"currency": "BTC"})
    assert (response.status_code, _error_code(response)) == (400, "UNSUPPORTED_CURRENCY")
