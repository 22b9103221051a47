"""Stack providers: one interface, one implementation per way of getting a hello-dd stack.

Chosen with ``behave -D stack=local|containers|compose|external`` (see ``provider_from_userdata``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from hello_dd.harness.providers.base import StackControlUnavailable, StackProvider, StackUrls
from hello_dd.harness.providers.compose import (
    DEFAULT_PROJECT,
    ComposeProject,
    MappingError,
    load_mapping,
    read_mapping_file,
)
from hello_dd.harness.providers.containers import IMAGE, DockerContainers
from hello_dd.harness.providers.external import ExternalStack
from hello_dd.harness.providers.local import LocalProcesses
from hello_dd.harness.providers.tools import REPO_ROOT
from hello_dd.topology import GATEWAY, SERVICES, TEST_AGENT

PROVIDERS = {
    "local": LocalProcesses,
    "containers": DockerContainers,
    "compose": ComposeProject,
    "external": ExternalStack,
}


class ConfigurationError(ValueError):
    """The suite was started with settings that cannot work; the message says which and why."""


def _flag(userdata: Mapping[str, str], option: str, default: str) -> bool:
    value = userdata.get(option, default).lower()
    if value not in ("true", "false"):
        raise ConfigurationError(f"-D {option} takes true or false, not {value!r}")
    return value == "true"


def _compose_project(userdata: Mapping[str, str], reports_dir: Path) -> ComposeProject:
    """-D compose_file (the repository's docker-compose.yml by default; several separated by commas),
    compose_project, compose_attach, compose_mapping (a TOML file) and compose_PREFIX_service/variable."""
    files = [Path(f) for f in userdata.get("compose_file", str(REPO_ROOT / "docker-compose.yml")).split(",")]
    try:
        if path := userdata.get("compose_mapping"):
            mapping = read_mapping_file(Path(path), userdata)
        else:
            mapping = load_mapping(None, userdata)
    except MappingError as exc:
        raise ConfigurationError(str(exc)) from None
    return ComposeProject(
        reports_dir=reports_dir,
        compose_files=files,
        project=userdata.get("compose_project", DEFAULT_PROJECT),
        mapping=mapping,
        attach=_flag(userdata, "compose_attach", "false"),
        build=_flag(userdata, "build_image", "true"),
        tracer=userdata.get("tracer", "otel"),
    )


def provider_from_userdata(userdata: Mapping[str, str], reports_dir: Path) -> StackProvider:
    name = userdata.get("stack", "local")
    if name == "local":
        return LocalProcesses(
            reports_dir=reports_dir, tracer=userdata.get("tracer", "otel"), redis_url=userdata.get("redis_url")
        )
    if name == "containers":
        return DockerContainers(
            reports_dir=reports_dir,
            tracer=userdata.get("tracer", "otel"),
            image=userdata.get("image", IMAGE),
            build=_flag(userdata, "build_image", "true"),
        )
    if name == "compose":
        return _compose_project(userdata, reports_dir)
    if name == "external":
        gateway = userdata.get(GATEWAY.url_option)
        others = [s for s in SERVICES if s is not GATEWAY]
        if not gateway:
            optional = ", ".join([*(s.url_option for s in others), TEST_AGENT.url_option, TEST_AGENT.otlp_url_option])
            raise ConfigurationError(
                f"stack=external needs -D {GATEWAY.url_option}=http://host:port (and optionally {optional})"
            )
        urls = StackUrls(
            gateway=gateway,
            **{s.prefix: userdata.get(s.url_option) for s in others},
            trace_agent=userdata.get(TEST_AGENT.url_option),
            otlp=userdata.get(TEST_AGENT.otlp_url_option),
        )
        return ExternalStack(urls, tracer=userdata.get("tracer", "otel"))
    raise ConfigurationError(f"unknown stack {name!r}: choose one of {', '.join(PROVIDERS)} (-D stack=...)")


__all__ = [
    "ComposeProject",
    "ConfigurationError",
    "DockerContainers",
    "ExternalStack",
    "LocalProcesses",
    "StackControlUnavailable",
    "StackProvider",
    "StackUrls",
    "provider_from_userdata",
]
