"""deploy/k8s/: valid against the Kubernetes schemas (kubernetes-validate's bundled copies, offline),
complete (probes, resources, a Service per component, every file in the kustomization), and the same
stack as docker-compose.yml: images, commands, ports and variables, compared service by service."""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest
import yaml

from .manifests import K8S_DIR, differences, k8s_components, load_compose, load_manifests

#: The oldest Kubernetes the manifests are meant for, and the newest the validator knows.
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
SERVICES = ("api-gateway", "inventory-service", "pricing-service")
DOCS = load_manifests()
WORKLOADS = [doc for doc in DOCS if doc["kind"] in ("Deployment", "StatefulSet")]


def _id(doc) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("doc", DOCS, ids=_id)
def test_every_manifest_is_valid_kubernetes(doc, version):
    kubernetes_validate.validate(doc, version, strict=True)


def test_the_schema_check_refuses_a_field_kubernetes_does_not_know():
    broken = copy.deepcopy(next(doc for doc in WORKLOADS if doc["metadata"]["name"] == "api-gateway"))
    broken["spec"]["template"]["spec"]["containers"][0]["healthCheck"] = {"path": "/health"}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[-1], strict=True)


def test_the_kustomization_applies_every_manifest():
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(
        p.name for p in K8S_DIR.glob("*.yaml") if p.name != "kustomization.yaml"
    )


@pytest.mark.parametrize("workload", WORKLOADS, ids=_id)
def test_every_component_has_probes_resources_and_a_service(workload):
    name = workload["metadata"]["name"]
    pod = workload["spec"]["template"]
    for container in pod["spec"]["containers"]:
        assert {"readinessProbe", "livenessProbe"} <= container.keys(), f"{name}: probes"
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= container["resources"][bound].keys(), f"{name}: resource {bound}"
        if name in SERVICES:
            for probe in ("readinessProbe", "livenessProbe"):
                assert container[probe]["httpGet"]["path"] == "/health", f"{name}: {probe} on /health"
    service = next((doc for doc in DOCS if doc["kind"] == "Service" and doc["metadata"]["name"] == name), None)
    assert service is not None, f"{name}: a Service of the same name"
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items(), (
        f"{name}: the Service selects its pods"
    )


def test_the_services_trace_to_the_collector_in_the_cluster():
    for name in SERVICES:
        env = k8s_components(DOCS)[name].env
        assert (
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://test-agent:4318"
            and env["DD_TRACE_AGENT_URL"] == "http://test-agent:8126"
        )


def test_the_manifests_run_the_stack_docker_compose_runs():
    assert differences(load_compose(), DOCS) == []


def _set(compose, service, key, value):
    compose["services"][service][key] = value


def _set_env(compose, service, var, value):
    compose["services"][service]["environment"] = {**compose["services"][service]["environment"], var: value}


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda c: _set(c, "redis", "image", "redis:7.4"), "redis: image 'redis:7.4' in docker-compose.yml, 'redis:7'"),
        (lambda c: _set(c, "api-gateway", "ports", ["127.0.0.1:8000:8080"]), "api-gateway: ports [8080]"),
        (
            lambda c: _set_env(c, "pricing-service", "CACHE_TTL_SECONDS", "30"),
            "pricing-service: variable CACHE_TTL_SECONDS in docker-compose.yml",
        ),
        (lambda c: _set_env(c, "inventory-service", "LOG_LEVEL", "DEBUG"), "inventory-service: LOG_LEVEL='DEBUG'"),
        (lambda c: _set_env(c, "postgres", "POSTGRES_PASSWORD", "secret"), "postgres: POSTGRES_PASSWORD='secret'"),
        (lambda c: _set(c, "test-agent", "command", ["ddapm-test-agent", "--port", "8126"]), "test-agent: command"),
        (lambda c: c["services"].pop("redis"), "redis: in deploy/k8s, not in docker-compose.yml"),
    ],
    ids=["image", "port", "new variable", "variable value", "secret value", "command", "service"],
)
def test_a_drift_from_docker_compose_is_named(change, complaint):
    compose = load_compose()
    change(compose)
    found = differences(compose, DOCS)
    assert any(complaint in line for line in found), found


def test_a_value_may_differ_only_where_the_manifests_say_so():
    compose = load_compose()
    _set_env(compose, "api-gateway", "DD_ENV", "staging")  # the ConfigMap declares DD_ENV a deployment's own
    assert differences(compose, DOCS) == []
    docs = copy.deepcopy(DOCS)
    next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "hello-dd-service-env")["metadata"][
        "annotations"
    ] = {}
    assert "api-gateway: DD_ENV='staging' in docker-compose.yml, 'kubernetes' in deploy/k8s" in differences(
        compose, docs
    )
