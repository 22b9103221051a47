"""Reading docker-compose.yml and deploy/k8s/ into one shape per component (image, command, ports,
environment), and naming every way the two differ. Values come from wherever the manifests put them
(``env``, ``envFrom``, ConfigMaps, Secrets); a variable whose value names the deployment (DD_ENV)
may differ when the object that sets it says so in its ``hello-dd/differs-from-compose`` annotation."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
K8S_DIR = ROOT / "deploy" / "k8s"
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet"}
DIFFERS = "hello-dd/differs-from-compose"


@dataclass
class Component:
    image: str | None
    command: list[str]
    ports: set[int]
    env: dict[str, str]
    may_differ: set[str] = field(default_factory=set)


def load_compose(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def load_manifests(directory: Path = K8S_DIR) -> list[dict[str, Any]]:
    docs = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return docs


def _container_port(spec: str | int | dict) -> int:
    """``"127.0.0.1:8000:8000"``, ``"8126:8126/tcp"``, ``8000`` or the long form -> the container's port."""
    if isinstance(spec, dict):
        return int(spec["target"])
    return int(str(spec).split("/")[0].rsplit(":", 1)[-1])


def compose_components(compose: dict[str, Any]) -> dict[str, Component]:
    found = {}
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env)
        command = service.get("command") or []
        found[name] = Component(
            image=service.get("image"),
            command=command.split() if isinstance(command, str) else [str(part) for part in command],
            ports={_container_port(p) for p in service.get("ports", [])} | {int(p) for p in service.get("expose", [])},
            env={key: str(value) for key, value in env.items()},
        )
    return found


def _named(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def _annotated(obj: dict[str, Any]) -> set[str]:
    return set((obj.get("metadata", {}).get("annotations", {}).get(DIFFERS, "")).replace(",", " ").split())


def _source_data(obj: dict[str, Any]) -> dict[str, str]:
    data = (
        {key: base64.b64decode(value).decode() for key, value in (obj.get("data") or {}).items()}
        if obj["kind"] == "Secret"
        else dict(obj.get("data") or {})
    )
    return {**data, **(obj.get("stringData") or {})}


def k8s_components(docs: list[dict[str, Any]]) -> dict[str, Component]:
    sources = {("ConfigMap", name): obj for name, obj in _named(docs, "ConfigMap").items()}
    sources |= {("Secret", name): obj for name, obj in _named(docs, "Secret").items()}
    found = {}
    for doc in docs:
        if doc["kind"] not in WORKLOAD_KINDS:
            continue
        name = doc["metadata"]["name"]
        containers = doc["spec"]["template"]["spec"]["containers"]
        container = next((c for c in containers if c["name"] == name), containers[0])
        env, may_differ = {}, _annotated(doc)
        for ref in container.get("envFrom", []):
            kind, ref_name = (
                ("ConfigMap", ref["configMapRef"]["name"])
                if "configMapRef" in ref
                else ("Secret", ref["secretRef"]["name"])
            )
            source = sources[(kind, ref_name)]
            env |= {ref.get("prefix", "") + key: value for key, value in _source_data(source).items()}
            may_differ |= _annotated(source)
        for var in container.get("env", []):
            if "value" in var:
                env[var["name"]] = str(var["value"])
                continue
            kind, key_ref = next(
                ("ConfigMap" if k == "configMapKeyRef" else "Secret", v) for k, v in var["valueFrom"].items()
            )
            source = sources[(kind, key_ref["name"])]
            env[var["name"]] = _source_data(source)[key_ref["key"]]
            may_differ |= _annotated(source) & {var["name"]}
        found[name] = Component(
            image=container["image"],
            command=[str(part) for part in container.get("command", []) + container.get("args", [])],
            ports={int(p["containerPort"]) for p in container.get("ports", [])},
            env=env,
            may_differ=may_differ,
        )
    return found


def differences(compose: dict[str, Any], docs: list[dict[str, Any]]) -> list[str]:
    """Every way the components of docker-compose.yml and of the manifests differ, in words."""
    ours, theirs = compose_components(compose), k8s_components(docs)
    services = _named(docs, "Service")
    found = [f"{name}: in docker-compose.yml, not in deploy/k8s" for name in sorted(ours.keys() - theirs.keys())]
    found += [f"{name}: in deploy/k8s, not in docker-compose.yml" for name in sorted(theirs.keys() - ours.keys())]
    for name in sorted(ours.keys() & theirs.keys()):
        compose_side, k8s_side = ours[name], theirs[name]
        if compose_side.image != k8s_side.image:
            found.append(
                f"{name}: image {compose_side.image!r} in docker-compose.yml, {k8s_side.image!r} in deploy/k8s"
            )
        if compose_side.command != k8s_side.command:
            found.append(
                f"{name}: command {compose_side.command} in docker-compose.yml, {k8s_side.command} in deploy/k8s"
            )
        if compose_side.ports != k8s_side.ports:
            found.append(
                f"{name}: ports {sorted(compose_side.ports)} in docker-compose.yml, {sorted(k8s_side.ports)} in deploy/k8s"
            )
        service_ports = {int(p["port"]) for p in services.get(name, {}).get("spec", {}).get("ports", [])}
        if service_ports != compose_side.ports:
            found.append(
                f"{name}: its Service offers ports {sorted(service_ports)}, docker-compose.yml {sorted(compose_side.ports)}"
            )
        for var in sorted(compose_side.env.keys() - k8s_side.env.keys()):
            found.append(f"{name}: variable {var} in docker-compose.yml, not in deploy/k8s")
        for var in sorted(k8s_side.env.keys() - compose_side.env.keys()):
            found.append(f"{name}: variable {var} in deploy/k8s, not in docker-compose.yml")
        for var in sorted(compose_side.env.keys() & k8s_side.env.keys()):
            if compose_side.env[var] != k8s_side.env[var] and var not in k8s_side.may_differ:
                found.append(
                    f"{name}: {var}={compose_side.env[var]!r} in docker-compose.yml, {k8s_side.env[var]!r} in deploy/k8s"
                )
    return found
