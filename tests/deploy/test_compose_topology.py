"""docker-compose.yml runs the stack the topology describes (hello_dd.topology): each service under its name
and on its port, the gateway calling its dependencies at their names and ports, the collector under its name
with its ports, and every service tracing to it. deploy/k8s is held to docker-compose.yml by
test_k8s_manifests.py, so it agrees with the topology too."""

from __future__ import annotations

import pytest

from hello_dd.topology import SERVICES, TEST_AGENT, Service

from .manifests import compose_components, load_compose

COMPONENTS = compose_components(load_compose())


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_each_service_runs_under_its_name_on_its_port(service: Service):
    component = COMPONENTS[service.name]
    assert component.command[-1] == service.name
    assert component.ports == {service.port}
    assert (component.env["PORT"], component.env["OTEL_SERVICE_NAME"]) == (str(service.port), service.name)
    for callee in service.calls:
        assert component.env[callee.url_variable] == f"http://{callee.name}:{callee.port}"


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_each_service_traces_to_the_collector(service: Service):
    env = COMPONENTS[service.name].env
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == f"http://{TEST_AGENT.name}:{TEST_AGENT.otlp_http_port}"
    assert env["DD_TRACE_AGENT_URL"] == f"http://{TEST_AGENT.name}:{TEST_AGENT.datadog_port}"


def test_the_collector_runs_under_its_name_with_its_ports():
    assert COMPONENTS[TEST_AGENT.name].ports == {TEST_AGENT.datadog_port, TEST_AGENT.otlp_http_port}
