"""Stack providers: one interface, one implementation per way of getting a hello-dd stack.

Chosen with ``behave -D stack=local|containers|external`` (see ``provider_from_userdata``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from hello_dd.harness.providers.base import StackControlUnavailable, StackProvider, StackUrls
from hello_dd.harness.providers.containers import IMAGE, DockerContainers
from hello_dd.harness.providers.external import ExternalStack
from hello_dd.harness.providers.local import LocalProcesses

PROVIDERS = {"local": LocalProcesses, "containers": DockerContainers, "external": ExternalStack}


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
    if name == "external":
        gateway = userdata.get("gateway_url")
        if not gateway:
            raise ConfigurationError(
                "stack=external needs -D gateway_url=http://host:port (and optionally inventory_url, pricing_url, trace_agent_url, otlp_url)"
            )
        return ExternalStack(
            StackUrls(
                gateway=gateway,
                inventory=userdata.get("inventory_url"),
                pricing=userdata.get("pricing_url"),
                trace_agent=userdata.get("trace_agent_url"),
                otlp=userdata.get("otlp_url"),
            ),
            tracer=userdata.get("tracer", "otel"),
        )
    raise ConfigurationError(f"unknown stack {name!r}: choose one of {', '.join(PROVIDERS)} (-D stack=...)")


__all__ = [
    "ConfigurationError",
    "DockerContainers",
    "ExternalStack",
    "LocalProcesses",
    "StackControlUnavailable",
    "StackProvider",
    "StackUrls",
    "provider_from_userdata",
]
