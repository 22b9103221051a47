"""stack=compose without Docker: the mapping (defaults, a TOML file, -D names), the port a service
listens on, and the override file that wires the suite's proxies and test agent into a project."""

from __future__ import annotations

from pathlib import Path

import pytest

from hello_dd.harness.providers import ConfigurationError, provider_from_userdata
from hello_dd.harness.providers.compose import (
    AGENT,
    ComposeMapping,
    ComposeUnavailable,
    container_port,
    override_document,
    proxy_name,
)

PORTS = {"api-gateway": 9000, "inventory-service": 9001, "pricing-service": 9002}
HOST = {"datadog": 50001, "otlp": 50002, "inventory-service": 50003, "pricing-service": 50004}
RENAMED = """
[services.api-gateway]
name = "shop-gateway"
[services.inventory-service]
name = "stock"
port = 7001
[services.pricing-service]
name = "prices"

[dependencies]
inventory-service = "STOCK_URL"
pricing-service = "PRICES_URL"

[environment.inventory-service]
SIMULATE_ENDPOINTS = "true"
"""


def test_the_default_mapping_is_hello_dds_own_names():
    mapping = ComposeMapping()
    assert mapping.services == {name: name for name in PORTS}
    assert mapping.dependency_variables == {"inventory-service": "INVENTORY_URL", "pricing-service": "PRICING_URL"}


def test_a_mapping_file_renames_services_and_variables(tmp_path: Path):
    path = tmp_path / "mapping.toml"
    path.write_text(RENAMED)
    mapping = ComposeMapping.from_toml(path).with_names({"pricing-service": "pricing-v2"})
    assert mapping.services == {
        "api-gateway": "shop-gateway",
        "inventory-service": "stock",
        "pricing-service": "pricing-v2",
    }
    assert mapping.ports == {"inventory-service": 7001}
    assert mapping.dependency_variables["inventory-service"] == "STOCK_URL"
    assert mapping.environment == {"inventory-service": {"SIMULATE_ENDPOINTS": "true"}}


def test_a_mapping_file_naming_an_unknown_service_is_refused(tmp_path: Path):
    path = tmp_path / "mapping.toml"
    path.write_text('[services.payments]\nname = "pay"\n')
    with pytest.raises(ValueError, match="unknown services"):
        ComposeMapping.from_toml(path)


@pytest.mark.parametrize(
    ("ports", "expected"),
    [(["127.0.0.1:8000:8080"], 8080), ([{"target": 8081, "published": "8000"}], 8081)],
)
def test_a_services_port_is_the_one_its_file_publishes(ports, expected):
    config = {"services": {"api-gateway": {"ports": ports}}}
    assert container_port(config, "api-gateway", ComposeMapping(), "api-gateway") == expected


def test_a_service_that_publishes_no_port_needs_the_mapping_to_say_it():
    with pytest.raises(ComposeUnavailable, match="port = "):
        container_port({"services": {"api-gateway": {}}}, "api-gateway", ComposeMapping(), "api-gateway")


def test_the_override_puts_a_proxy_before_each_dependency_and_the_agent_behind_every_service(tmp_path: Path):
    path = tmp_path / "mapping.toml"
    path.write_text(RENAMED)
    mapping = ComposeMapping.from_toml(path)
    services = override_document(mapping, PORTS, HOST, "proxy:img", "agent:img")["services"]
    gateway = services["shop-gateway"]["environment"]
    assert gateway["STOCK_URL"] == f"http://{proxy_name('inventory-service')}:9000"
    assert gateway["PRICES_URL"] == f"http://{proxy_name('pricing-service')}:9000"
    proxy = services[proxy_name("inventory-service")]
    assert proxy["command"][proxy["command"].index("--target") + 1] == "stock:9001"
    assert proxy["ports"] == ["127.0.0.1:50003:9100"]
    for name in ("shop-gateway", "stock", "prices"):
        environment = services[name]["environment"]
        assert environment["OTEL_EXPORTER_OTLP_ENDPOINT"] == f"http://{AGENT}:4318"
        assert environment["DD_TRACE_AGENT_URL"] == f"http://{AGENT}:8126"
    assert services["stock"]["environment"]["SIMULATE_ENDPOINTS"] == "true"
    assert services[AGENT]["ports"] == ["127.0.0.1:50001:8126", "127.0.0.1:50002:4318"]
    assert "image" not in services["shop-gateway"]  # the project's own services keep their images


def test_stack_compose_needs_an_existing_file(tmp_path: Path):
    with pytest.raises(ConfigurationError, match="no such file"):
        provider_from_userdata({"stack": "compose", "compose_file": str(tmp_path / "nope.yml")}, tmp_path)


def test_stack_compose_takes_the_names_from_d_options(tmp_path: Path):
    compose_file = tmp_path / "compose.yml"
    compose_file.write_text("services: {}\n")
    provider = provider_from_userdata(
        {"stack": "compose", "compose_file": str(compose_file), "compose_gateway": "front", "compose_project": "p1"},
        tmp_path,
    )
    assert (provider.name, provider.project, provider.mapping.services["api-gateway"]) == ("compose", "p1", "front")
