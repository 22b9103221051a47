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
from hello_dd.topology import GATEWAY, SERVICES, TEST_AGENT

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
    "ConfigurationError",
    "DockerContainers",
    "ExternalStack",
    "LocalProcesses",
    "StackControlUnavailable",
    "StackProvider",
    "StackUrls",
    "provider_from_userdata",
]
