"""The compose provider's mapping (file and -D options) and the override file it generates, on parsed
``docker-compose config`` documents (no Docker needed). Its behaviour on a running project is checked by
the whole specification in `make test-compose`."""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from hello_dd.harness.providers import ComposeProject, ConfigurationError, provider_from_userdata
from hello_dd.harness.providers.compose import (
    AGENT_SERVICE,
    MappingError,
    container_ports,
    load_mapping,
    override_document,
    published_url,
    read_mapping_file,
)
from hello_dd.topology import GATEWAY, INVENTORY, PRICING

ROOT = Path(__file__).resolve().parents[2]

HELLO_DD = {
    "services": {
        "api-gateway": {
            "environment": {
                "INVENTORY_URL": "http://inventory-service:8001",
                "PRICING_URL": "http://pricing-service:8002",
            },
            "ports": ["127.0.0.1:8000:8000/tcp"],
        },
        "inventory-service": {"environment": {"PORT": "8001"}, "ports": ["127.0.0.1:8001:8001/tcp"]},
        "pricing-service": {"environment": ["PORT=8002"], "ports": [{"target": 8002, "published": 8002}]},
        "postgres": {},
    }
}


def _override(mapping=None, config=HELLO_DD, **options):
    return override_document(mapping or load_mapping(), config, tools_image="tools:1", agent_image="agent:1", **options)


def test_hello_dds_names_are_the_default_mapping():
    mapping = load_mapping()
    assert [r.compose_name for r in mapping.roles.values()] == ["api-gateway", "inventory-service", "pricing-service"]
    assert mapping.role(GATEWAY.name).urls == {"INVENTORY_URL": INVENTORY, "PRICING_URL": PRICING}
    assert mapping.role(INVENTORY.name).urls == {}


def test_the_override_puts_a_proxy_between_the_gateway_and_each_dependency():
    services = _override()["services"]
    gateway = services["api-gateway"]["environment"]
    assert gateway["INVENTORY_URL"] == "http://spec-inventory-proxy:9000"
    assert gateway["PRICING_URL"] == "http://spec-pricing-proxy:9000"
    proxy = services["spec-inventory-proxy"]
    assert proxy["image"] == "tools:1"
    # the proxy forwards to where the gateway's variable pointed
    assert proxy["command"][proxy["command"].index("--target") + 1] == "inventory-service:8001"
    assert proxy["ports"] == ["127.0.0.1::9100"]  # its control port, on loopback only
    assert "postgres" not in services  # what the mapping does not name is left alone


def test_every_service_sends_its_traces_to_the_suites_test_agent():
    services = _override()["services"]
    for name in ("api-gateway", "inventory-service", "pricing-service"):
        assert services[name]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == f"http://{AGENT_SERVICE}:4318"
        assert services[name]["environment"]["DD_TRACE_AGENT_URL"] == f"http://{AGENT_SERVICE}:8126"
    assert services[AGENT_SERVICE]["image"] == "agent:1"
    assert services[AGENT_SERVICE]["ports"] == ["127.0.0.1::8126", "127.0.0.1::4318"]


def test_the_override_keeps_the_users_compose_file_version():
    assert "version" not in _override()
    assert _override(version="3.8")["version"] == "3.8"


def test_without_the_variable_in_the_project_the_proxy_targets_the_service_by_name_and_port():
    config = {"services": {**HELLO_DD["services"], "api-gateway": {"ports": ["8000:8000"]}}}
    command = _override(config=config)["services"]["spec-pricing-proxy"]["command"]
    assert command[command.index("--target") + 1] == "pricing-service:8002"


def test_a_url_path_is_kept_behind_the_proxy():
    gateway = {"environment": {"INVENTORY_URL": "https://inventory-service:8443/api", "PRICING_URL": "x"}}
    config = {"services": {**HELLO_DD["services"], "api-gateway": gateway}}
    assert _override(config=config)["services"]["api-gateway"]["environment"]["INVENTORY_URL"] == (
        "https://spec-inventory-proxy:9000/api"
    )


def test_proxies_and_agent_join_the_networks_of_the_services_they_stand_between():
    services = {name: {**each, "networks": {"back": None}} for name, each in HELLO_DD["services"].items()}
    services["api-gateway"]["networks"] = {"front": None, "back": None}
    override = _override(config={"services": services})["services"]
    assert override["spec-inventory-proxy"]["networks"] == ["back", "front"]
    assert override[AGENT_SERVICE]["networks"] == ["back", "front"]
    assert "networks" not in _override()["services"]["spec-inventory-proxy"]  # the default network


def test_the_renamed_projects_mapping_file_names_its_services_and_ports():
    mapping = read_mapping_file(ROOT / "containers/compose/renamed.toml")
    assert [(r.compose_name, r.port) for r in mapping.roles.values()] == [
        ("shop-gateway", 9080),
        ("stock", 9081),
        ("prices", 9082),
    ]
    assert mapping.role(GATEWAY.name).environment["BREAKER_RESET_SECONDS"] == "1.5"
    config = {
        "services": {
            "shop-gateway": {
                "environment": {"INVENTORY_URL": "http://stock:9081", "PRICING_URL": "http://prices:9082"}
            },
            "stock": {},
            "prices": {},
        }
    }
    override = _override(mapping, config)["services"]
    command = override["spec-inventory-proxy"]["command"]
    assert command[command.index("--target") + 1] == "stock:9081"
    assert override["shop-gateway"]["environment"]["BREAKER_RESET_SECONDS"] == "1.5"


def test_options_name_services_and_variables_and_win_over_the_file():
    document = {"services": {"api-gateway": {"compose_service": "gw"}}}
    mapping = load_mapping(
        document,
        {"compose_gateway_service": "edge", "compose_inventory_variable": "STOCK_URL", "compose_pricing_service": "p"},
    )
    assert mapping.role(GATEWAY.name).compose_name == "edge"
    assert mapping.role(PRICING.name).compose_name == "p"
    assert mapping.role(GATEWAY.name).urls == {"STOCK_URL": INVENTORY, "PRICING_URL": PRICING}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"service": {}}, "unknown tables"),
        ({"services": {"api-gateway": {"name": "x"}}}, "unknown keys"),
        ({"services": {"api-gateway": {"urls": {"X_URL": "billing"}}}}, "unknown service 'billing'"),
        ({"services": {"api-gateway": {"port": "80"}}}, "must be a port number"),
        ({"services": {"api-gateway": {"environment": {"A": [1]}}}}, "must be a string"),
        ({"services": {"pricing-service": {"compose_service": "inventory-service"}}}, "same Compose service"),
        ({"collector": {"OTEL_EXPORTER_OTLP_ENDPOINT": "grpc"}}, "takes one of otlp"),
    ],
)
def test_a_mapping_the_suite_cannot_use_is_refused_with_the_reason(document, message):
    with pytest.raises(MappingError, match=message):
        load_mapping(document)


def test_a_project_without_the_mapped_services_is_refused_naming_the_options():
    with pytest.raises(MappingError, match="has no service api-gateway.*compose_gateway_service"):
        _override(config={"services": {"inventory-service": {}, "pricing-service": {}}})


def test_a_mapping_file_that_is_not_toml_is_refused(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text("[services\n", encoding="utf-8")
    with pytest.raises(MappingError, match="is not TOML"):
        read_mapping_file(path)
    with pytest.raises(MappingError, match="cannot be read"):
        read_mapping_file(tmp_path / "absent.toml")


def test_the_mapping_files_in_the_repository_are_valid_toml():
    for path in (ROOT / "containers/compose").glob("*.toml"):
        load_mapping(tomllib.loads(path.read_text(encoding="utf-8")))


def test_published_ports_are_read_in_both_syntaxes():
    assert container_ports({"ports": ["127.0.0.1:8000:8000/tcp", "9000", {"target": 81, "published": 18081}]}) == [
        8000,
        9000,
        81,
    ]


@pytest.mark.parametrize(
    ("answer", "url"),
    [
        ("0.0.0.0:8000\n", "http://127.0.0.1:8000"),
        ("127.0.0.1:49153", "http://127.0.0.1:49153"),
        ("[::]:81", "http://127.0.0.1:81"),
    ],
)
def test_a_published_port_is_reached_on_this_machine(answer, url):
    assert published_url(answer) == url


def test_stack_compose_is_chosen_with_its_options(tmp_path):
    provider = provider_from_userdata(
        {
            "stack": "compose",
            "compose_file": "containers/compose/renamed.yml",
            "compose_mapping": str(ROOT / "containers/compose/renamed.toml"),
            "compose_project": "p1",
            "compose_attach": "true",
        },
        tmp_path,
    )
    assert isinstance(provider, ComposeProject)
    assert (provider.project, provider.attach, provider.mapping.role(GATEWAY.name).compose_name) == (
        "p1",
        True,
        "shop-gateway",
    )
    assert provider.override.is_relative_to(
        tmp_path
    )  # the override is written under the reports, never beside the user's file
    assert provider.controls_stack and provider.reads_logs and provider.cuts_network


def test_bad_compose_options_are_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="compose_attach takes true or false"):
        provider_from_userdata({"stack": "compose", "compose_attach": "yes"}, tmp_path)
    with pytest.raises(ConfigurationError, match="cannot be read"):
        provider_from_userdata({"stack": "compose", "compose_mapping": str(tmp_path / "none.toml")}, tmp_path)


@pytest.mark.skipif(not shutil.which("docker-compose") and not shutil.which("docker"), reason="no Compose installed")
@pytest.mark.parametrize(
    ("compose_file", "mapping_file", "gateway"),
    [
        ("docker-compose.yml", "containers/compose/hello-dd.toml", "api-gateway"),
        ("containers/compose/renamed.yml", "containers/compose/renamed.toml", "shop-gateway"),
    ],
)
def test_compose_accepts_the_override_of_the_repositorys_projects(tmp_path, compose_file, mapping_file, gateway):
    """Compose itself (v1 or v2, no engine needed) merges the user's file and the override."""
    compose = [str(ROOT / "scripts/compose.sh"), "-f", str(ROOT / compose_file)]
    config = yaml.safe_load(subprocess.run([*compose, "config"], capture_output=True, text=True, check=True).stdout)
    mapping = read_mapping_file(ROOT / mapping_file)
    override = tmp_path / "override.yml"
    override.write_text(json.dumps(_override(mapping, config)), encoding="utf-8")
    merged = subprocess.run([*compose, "-f", str(override), "config"], capture_output=True, text=True, check=True)
    services = yaml.safe_load(merged.stdout)["services"]
    assert services[gateway]["environment"]["INVENTORY_URL"] == "http://spec-inventory-proxy:9000"
    assert services[gateway]["environment"]["OTEL_SERVICE_NAME"] == "api-gateway"  # the user's own is kept
    assert {"spec-inventory-proxy", "spec-pricing-proxy", AGENT_SERVICE} <= set(services)
