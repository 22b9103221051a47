"""The shared service layer: ids, errors, body limit, request lines and metrics, on a small app."""

from __future__ import annotations

import json

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel, Field

from hello_dd.services.common.app import create_service_app
from hello_dd.services.common.correlation import accept_or_generate, is_valid_id
from hello_dd.services.common.errors import ApiError
from hello_dd.services.common.settings import ServiceSettings

router = APIRouter()


class Thing(BaseModel):
    name: str = Field(min_length=1)
    count: int


@router.post("/things/{thing_id}")
def make_thing(thing_id: str, body: Thing) -> dict:
    if thing_id == "taken":
        raise ApiError(409, "THING_EXISTS", "That thing exists already.")
    return {"id": thing_id, **body.model_dump()}


@router.get("/boom")
def boom() -> dict:
    raise RuntimeError("secret internal detail")


@pytest.fixture(scope="module")
def client():
    class TestServiceSettings(ServiceSettings):
        service_name = "test-service"

    settings = TestServiceSettings(tracer="none", max_body_bytes=1024)
    app = create_service_app(settings, title="t", description="d", routers=[router])
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("value", ["abc", "3f1e-uuid-like", "a" * 128, "svc:req/1+x=y@z"])
def test_well_formed_ids_are_kept(value):
    assert accept_or_generate(value) == (value, False)


@pytest.mark.parametrize("value", ["", "a\nb", "a\r\nX-Injected: 1", "a" * 129, "tab\there", 'quote"d', "ünï"])
def test_hostile_ids_are_replaced(value):
    new, replaced = accept_or_generate(value)
    assert replaced and new != value and is_valid_id(new)


def test_an_absent_id_is_generated_without_counting_as_replaced():
    new, replaced = accept_or_generate(None)
    assert is_valid_id(new) and not replaced


def test_ids_are_echoed_or_generated(client):
    r = client.post("/things/a", json={"name": "x", "count": 1}, headers={"X-Correlation-Id": "corr-42"})
    assert r.status_code == 200
    assert r.headers["X-Correlation-Id"] == "corr-42"
    assert is_valid_id(r.headers["X-Request-Id"])


def test_api_errors_use_the_error_contract(client):
    r = client.post("/things/taken", json={"name": "x", "count": 1}, headers={"X-Correlation-Id": "c-1"})
    assert r.status_code == 409
    assert r.json() == {
        "error": {"code": "THING_EXISTS", "message": "That thing exists already."},
        "correlationId": "c-1",
    }


def test_malformed_json_is_a_400(client):
    r = client.post("/things/a", content=b'{"name": ', headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "MALFORMED_JSON"


def test_wrong_types_are_a_422_naming_the_field_without_echoing_the_input(client):
    r = client.post("/things/a", json={"name": "x", "count": "many" * 50})
    assert r.status_code == 422
    body = r.json()
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert body["error"]["details"][0]["field"] == "body.count"
    assert "many" not in json.dumps(body)


def test_an_unknown_route_is_a_json_404(client):
    r = client.get("/nowhere")
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"
    assert r.headers["X-Correlation-Id"]


def test_a_body_over_the_limit_is_a_413(client):
    r = client.post("/things/a", content=b"x" * 2048, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert r.headers["X-Correlation-Id"]


def test_an_unhandled_error_is_a_json_500_without_internals(client):
    r = client.get("/boom", headers={"X-Correlation-Id": "c-boom"})
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "INTERNAL_ERROR" and r.json()["correlationId"] == "c-boom"
    assert "secret" not in r.text and "Traceback" not in r.text
    assert r.headers["X-Correlation-Id"] == "c-boom"


def test_a_hostile_correlation_id_never_reaches_the_log(client, capsys):
    hostile = 'x"}\n{"level": "ERROR", "message": "forged'
    r = client.post(
        "/things/a", json={"name": "x", "count": 1}, headers={"X-Correlation-Id": hostile.replace("\n", " ")}
    )
    assert r.headers["X-Correlation-Id"] != hostile.replace("\n", " ")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]  # each line one JSON object
    assert any(line.get("route") == "/things/{thing_id}" for line in lines), "the request line is missing"
    assert any("replaced a malformed X-Correlation-Id" in line["message"] for line in lines)
    assert not any("forged" in json.dumps(line) for line in lines)


def test_request_lines_carry_route_status_and_ids(client, capsys):
    client.post(
        "/things/taken",
        json={"name": "x", "count": 1},
        headers={"X-Correlation-Id": "c-line", "X-Request-Id": "r-line"},
    )
    lines = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    request_line = next(entry for entry in lines if entry.get("route") == "/things/{thing_id}")
    assert request_line["status"] == 409 and request_line["error_code"] == "THING_EXISTS"
    assert request_line["correlation_id"] == "c-line" and request_line["request_id"] == "r-line"
    assert request_line["service"] == "test-service" and request_line["level"] == "WARNING"
    assert "timestamp" in request_line and request_line["duration_ms"] >= 0


def test_metrics_count_requests_by_route_template_and_status(client):
    def count() -> float:
        text = client.get("/metrics").text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if (
                    sample.name == "http_requests_total"
                    and sample.labels.get("route") == "/things/{thing_id}"
                    and sample.labels.get("status") == "200"
                    and sample.labels.get("service") == "test-service"
                ):
                    return sample.value
        return 0.0

    before = count()
    for i in range(3):
        client.post(f"/things/n{i}", json={"name": "x", "count": 1})
    assert count() == before + 3


def test_health_names_the_service(client):
    assert client.get("/health").json()["service"] == "test-service"


def test_a_simulated_crash_is_logged_at_error_level_with_its_stack_trace_and_never_shown(capsys):
    from hello_dd.services.common import simulate

    class CrashSettings(ServiceSettings):
        service_name = "crash-service"

    settings = CrashSettings(tracer="none", simulate_endpoints=True)
    app = create_service_app(settings, title="t", description="d", routers=simulate.routers(settings))
    with TestClient(app, raise_server_exceptions=False) as crash_client:
        capsys.readouterr()
        r = crash_client.get("/simulate/crash", headers={"X-Correlation-Id": "c-crash"})
    assert (
        r.status_code == 500
        and r.json()["error"]["code"] == "INTERNAL_ERROR"
        and r.json()["correlationId"] == "c-crash"
    )
    assert "Traceback" not in r.text and "internal detail" not in r.text
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    crash = next(line for line in lines if "Traceback" in str(line.get("exc_info", "")))
    assert crash["level"] == "ERROR" and crash["correlation_id"] == "c-crash" and "SimulatedCrash" in crash["exc_info"]
    request_line = next(line for line in lines if line.get("route") == "/simulate/crash")
    assert request_line["level"] == "ERROR" and request_line["status"] == 500


def test_the_warning_about_a_replaced_id_names_the_new_ids(client, capsys):
    capsys.readouterr()
    r = client.post(
        "/things/a", json={"name": "x", "count": 1}, headers={"X-Correlation-Id": "bad id", "X-Request-Id": "r ok?"}
    )
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    warnings = [line for line in lines if "replaced a malformed" in line["message"]]
    assert len(warnings) == 2
    for line in warnings:
        assert (
            line["correlation_id"] == r.headers["X-Correlation-Id"] and line["request_id"] == r.headers["X-Request-Id"]
        )
