"""Stack providers: one interface, one implementation per way of getting a hello-dd stack.

Chosen with ``behave -D stack=local|containers|compose|external`` (see ``provider_from_userdata``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from hello_dd.harness.providers.base import StackControlUnavailable, StackProvider, StackUrls
from hello_dd.harness.providers.compose import ComposeMapping, ComposeStack
from hello_dd.harness.providers.containers import IMAGE, DockerContainers
from hello_dd.harness.providers.external import ExternalStack
from hello_dd.harness.providers.local import LocalProcesses
from hello_dd.topology import GATEWAY, INVENTORY, PRICING, SERVICES, TEST_AGENT

PROVIDERS = {
    "local": LocalProcesses,
    "containers": DockerContainers,
    "compose": ComposeStack,
    "external": ExternalStack,
}
#: -D options naming the Compose service of each service (the mapping file can name them too).
COMPOSE_NAME_OPTIONS = {
    "compose_gateway": GATEWAY.name,
    "compose_inventory": INVENTORY.name,
    "compose_pricing": PRICING.name,
}


class ConfigurationError(ValueError):
    """The suite was started with settings that cannot work; the message says which and why."""


def provider_from_userdata(userdata: Mapping[str, str], reports_dir: Path) -> StackProvider:
    name = userdata.get("stack", "local")
    if name == "local":
        return LocalProcesses(
            reports_dir=reports_dir, tracer=userdata.get("tracer", "otel"), redis_url=userdata.get("redis_url")
        )
    if name == "containers":
        build = userdata.get("build_image", "true").lower()
        if build not in ("true", "false"):
            raise ConfigurationError(f"-D build_image takes true or false, not {build!r}")
        return DockerContainers(
            reports_dir=reports_dir,
            tracer=userdata.get("tracer", "otel"),
            image=userdata.get("image", IMAGE),
            build=build == "true",
        )
    if name == "compose":
        return _compose_from_userdata(userdata, reports_dir)
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


def _compose_from_userdata(userdata: Mapping[str, str], reports_dir: Path) -> ComposeStack:
    flags = {}
    for option in ("compose_attach", "build_image"):
        value = userdata.get(option, "false" if option == "compose_attach" else "true").lower()
        if value not in ("true", "false"):
            raise ConfigurationError(f"-D {option} takes true or false, not {value!r}")
        flags[option] = value == "true"
    try:
        mapping = (
            ComposeMapping.from_toml(Path(userdata["compose_mapping"]))
            if "compose_mapping" in userdata
            else ComposeMapping()
        )
        mapping = mapping.with_names(
            {name: userdata[option] for option, name in COMPOSE_NAME_OPTIONS.items() if option in userdata}
        )
        return ComposeStack(
            reports_dir,
            Path(userdata.get("compose_file", "docker-compose.yml")),
            userdata.get("compose_project", "hello-dd-spec"),
            mapping,
            attach=flags["compose_attach"],
            tracer=userdata.get("tracer", "otel"),
            build_image=flags["build_image"],
        )
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from exc


__all__ = [
    "ComposeStack",
    "ConfigurationError",
    "DockerContainers",
    "ExternalStack",
    "LocalProcesses",
    "StackControlUnavailable",
    "StackProvider",
    "StackUrls",
    "provider_from_userdata",
]
