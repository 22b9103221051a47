"""deploy/k8s/: valid against the Kubernetes schemas (kubernetes-validate's bundled copies, offline),
complete (probes, resources, a Service per component, every file in the kustomization), and the same
stack as docker-compose.yml: images, commands, ports and variables, compared service by service."""

from __future__ import annotations

import copy
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from hello_dd.topology import GATEWAY, TEST_AGENT
from hello_dd.topology import SERVICES as TOPOLOGY_SERVICES

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


# -- restricted: who runs as what, and who may reach whom ------------------------------------------

OUTSIDE = "outside the namespace"


def _pod(workload):
    return workload["spec"]["template"]["spec"]


#: The pod-level settings the restricted standard asks for, and the ids that must not be root's.
RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}


@pytest.mark.parametrize("workload", WORKLOADS, ids=_id)
def test_every_pod_meets_the_restricted_pod_security_standard(workload):
    pod = _pod(workload)
    context = pod.get("securityContext", {})
    assert {key: context.get(key) for key in RESTRICTED_POD} == RESTRICTED_POD, context
    for key in ("runAsUser", "runAsGroup", "fsGroup"):
        assert context.get(key, 0) != 0, f"{_id(workload)}: {key} is a non-root id"
    volumes = {volume["name"] for volume in pod.get("volumes", [])}
    volumes |= {claim["metadata"]["name"] for claim in workload["spec"].get("volumeClaimTemplates", [])}
    for container in pod["containers"]:
        own = container.get("securityContext", {})
        assert {key: own.get(key) for key in RESTRICTED_CONTAINER} == RESTRICTED_CONTAINER, (container["name"], own)
        writable = {mount["name"] for mount in container.get("volumeMounts", []) if not mount.get("readOnly")}
        assert writable and writable <= volumes, (
            f"{container['name']}: a writable volume of the pod's own where it keeps state or temporary files"
        )


def test_the_namespace_enforces_the_restricted_standard():
    namespace = next(doc for doc in DOCS if doc["kind"] == "Namespace")
    labels = namespace["metadata"]["labels"]
    for mode in ("enforce", "warn", "audit"):
        assert labels.get(f"pod-security.kubernetes.io/{mode}") == "restricted", mode
    assert labels.get("pod-security.kubernetes.io/enforce-version"), "the standard's version is pinned or latest"


def _labels(workload):
    return workload["spec"]["template"]["metadata"]["labels"]


def _selects(selector, labels) -> bool:
    return selector.get("matchLabels", {}).items() <= labels.items()


def allowed_edges(docs) -> set[tuple[str, str, int]]:
    """(from, to, port) for every pair the NetworkPolicies let through; a pod no policy selects takes
    anything (Kubernetes' rule), one that some policy selects only what those policies allow."""
    workloads = {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] in ("Deployment", "StatefulSet")}
    policies = [doc for doc in docs if doc["kind"] == "NetworkPolicy"]
    sources = [OUTSIDE, *workloads]
    edges = set()
    for target, workload in workloads.items():
        ports = {p["containerPort"] for c in _pod(workload)["containers"] for p in c.get("ports", [])}
        selecting = [p for p in policies if _selects(p["spec"]["podSelector"], _labels(workload))]
        for source in sources:
            for port in ports:
                if not selecting or any(
                    _rule_allows(rule, source, port, workloads)
                    for policy in selecting
                    for rule in policy["spec"].get("ingress", [])
                ):
                    edges.add((source, target, port))
    return edges


def _rule_allows(rule, source, port, workloads) -> bool:
    if "ports" in rule and port not in {p["port"] for p in rule["ports"]}:
        return False
    if "from" not in rule:
        return True
    return source != OUTSIDE and any(
        _selects(peer.get("podSelector", {}), _labels(workloads[source])) for peer in rule["from"]
    )


def needed_edges() -> set[tuple[str, str, int]]:
    """The stack's own edges: the gateway's port from anywhere (outside the namespace and in it), and every
    URL a workload is configured with that names another workload (its database, its cache, the services
    it calls, the test agent it sends traces to), read from the manifests' own variables."""
    names = [doc["metadata"]["name"] for doc in WORKLOADS]
    edges = {(source, GATEWAY.name, GATEWAY.port) for source in (OUTSIDE, *names)}
    for name, component in k8s_components(DOCS).items():
        for value in component.env.values():
            url = urlsplit(value) if "://" in value else None
            if url is not None and url.hostname in names and url.port is not None:
                edges.add((name, url.hostname, url.port))
    return edges


def test_the_edges_the_stack_needs_include_the_topologys_calls_and_traces():
    edges = needed_edges()
    for service in TOPOLOGY_SERVICES:
        assert {(service.name, callee.name, callee.port) for callee in service.calls} <= edges, service.name
        for port in (TEST_AGENT.datadog_port, TEST_AGENT.otlp_http_port):
            assert (service.name, TEST_AGENT.name, port) in edges, (service.name, port)


def test_the_network_policies_let_through_exactly_the_stacks_own_edges():
    assert allowed_edges(DOCS) == needed_edges()


def test_a_pod_without_a_policy_would_take_anything():
    docs = [
        doc
        for doc in DOCS
        if not (doc["kind"] == "NetworkPolicy" and doc["metadata"]["name"] == "default-deny-ingress")
    ]
    docs = [doc for doc in docs if not (doc["kind"] == "NetworkPolicy" and "redis" in doc["metadata"]["name"])]
    assert (OUTSIDE, "redis", 6379) in allowed_edges(docs) - needed_edges()
