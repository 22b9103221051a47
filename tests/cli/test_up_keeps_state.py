"""``hello-dd up`` stopped and started again on the same state directory keeps what it confirmed: an
order placed before reads back identically after, and a report job started before is completed, or
failed with a reason (never lost, never left running). ``hello-dd up --fresh`` starts from the seed
data instead, saying which directory it cleared."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import requests

from hello_dd.polling import poll
from hello_dd.stack import StackPorts

from .test_up_integration import READY_LINE, START_TIMEOUT, UpProcess, launch_up

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _up(state_dir: Path, ports: StackPorts, *options: str) -> UpProcess:
    running = launch_up(state_dir, ports, "--no-agent", *options)
    running.read_until(READY_LINE, START_TIMEOUT)
    return running


def _stop(running: UpProcess) -> None:
    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(timeout=30) == 0, running.read_to_end()


def test_a_stop_and_a_start_on_the_same_state_directory_keep_orders_and_report_jobs(tmp_path):
    ports = StackPorts.free()
    gateway = f"http://127.0.0.1:{ports.gateway}"
    first = _up(tmp_path, ports)
    try:
        placed = requests.post(
            f"{gateway}/api/v1/orders",
            json={"items": [{"productId": "123", "quantity": 1}], "customerId": "cust-restart"},
            timeout=30,
        )
        assert placed.status_code == 201, placed.text
        report = requests.post(
            f"{gateway}/api/v1/reports/generate",
            json={"reportType": "sales_summary", "startDate": "2020-01-01", "endDate": "2100-12-31"},
            timeout=10,
        ).json()
    finally:
        if first.process.poll() is None:
            _stop(first)
    assert {p.name for p in tmp_path.iterdir()} >= {"gateway.db", "inventory.db", "logs"}

    second = _up(tmp_path, ports)
    try:
        order = requests.get(f"{gateway}/api/v1/orders/{placed.json()['orderId']}", timeout=10)
        assert (order.status_code, order.json()) == (200, placed.json())
        job = poll(
            lambda: requests.get(f"{gateway}{report['statusUrl']}", timeout=10).json(),
            lambda job: job["status"] in ("completed", "failed"),
            timeout=30,
            what="the report job ended",
        )
        assert job["status"] == "completed" or job["error"]["message"], job
        if job["status"] == "completed":
            assert job["result"]["orders"] >= 1
    finally:
        _stop(second)


def test_a_fresh_start_forgets_orders_and_stock_changes_and_says_what_it_cleared(tmp_path):
    ports = StackPorts.free()
    gateway = f"http://127.0.0.1:{ports.gateway}"
    first = _up(tmp_path, ports)
    try:
        assert f"State: {tmp_path.resolve()}" in "".join(first.output)
        seed_stock = requests.get(f"{gateway}/api/v1/products/505", timeout=10).json()["inventory"]["available"]
        placed = requests.post(
            f"{gateway}/api/v1/orders",
            json={"items": [{"productId": "505", "quantity": 3}], "customerId": "cust-fresh"},
            timeout=30,
        )
        assert placed.status_code == 201, placed.text
    finally:
        if first.process.poll() is None:
            _stop(first)

    second = _up(tmp_path, ports, "--fresh")
    try:
        said = "".join(second.output)
        assert f"Fresh start: cleared {tmp_path.resolve()} (inventory.db" in said, said
        stock = requests.get(f"{gateway}/api/v1/products/505", timeout=10).json()["inventory"]["available"]
        assert stock == seed_stock
        order = requests.get(f"{gateway}/api/v1/orders/{placed.json()['orderId']}", timeout=10)
        assert order.status_code == 404, order.text
    finally:
        _stop(second)


def test_a_fresh_start_refuses_to_empty_a_database_given_by_url(tmp_path):
    running = launch_up(tmp_path, StackPorts.free(), "--no-agent", "--fresh", "--database-url", "sqlite:////tmp/x.db")
    assert running.process.wait(timeout=30) == 2
    assert "empty those databases yourself" in running.read_to_end()
