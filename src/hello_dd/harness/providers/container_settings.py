"""What each container of a ``stack=containers`` run runs with: the images, PostgreSQL's databases (one for
inventory, one for the gateway), Redis for pricing, each service's settings and routes to its
dependencies (through the fault proxies), and what the kernel offers (netem). The provider
(:mod:`hello_dd.harness.providers.containers`) starts the containers with these."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from hello_dd.harness.providers.base import SPEC_STACK_SETTINGS
from hello_dd.harness.providers.tools import ContainersUnavailable
from hello_dd.topology import GATEWAY, INVENTORY, PRICING, TEST_AGENT, Service

if TYPE_CHECKING:
    from testcontainers.core.container import DockerContainer

    from hello_dd.harness.providers.stack_containers import ServiceContainer

IMAGE = "hello-dd:spec"
POSTGRES_IMAGE = "postgres:15"
REDIS_IMAGE = "redis:7"
POSTGRES_PORT, REDIS_PORT = 5432, 6379
POSTGRES_USER = POSTGRES_PASSWORD = "hello"
INVENTORY_DATABASE, GATEWAY_DATABASE = "inventory", "gateway"
#: The containers besides the services and their proxies: PostgreSQL, Redis, and the agent's two ports.
OTHER_HOST_PORTS = 4


def database_url(name: str) -> str:
    return f"postgresql://{POSTGRES_USER}:{POSTGRES_PASSWORD}@postgres:{POSTGRES_PORT}/{name}"


def configure_service(container: ServiceContainer, routes: dict[Service, str]) -> ServiceContainer:
    """Each service's own settings: its database or cache, and the routes to its dependencies (``routes``:
    where a caller reaches a proxied service, through its proxy; the others directly)."""
    container.with_collector(TEST_AGENT.name).with_envs(DD_ENV="containers", **SPEC_STACK_SETTINGS)
    if container.service == INVENTORY:
        container.with_database(database_url(INVENTORY_DATABASE)).with_network_admin()
    elif container.service == PRICING:
        container.with_redis(f"redis://redis:{REDIS_PORT}/0").with_network_admin()
    elif container.service == GATEWAY:
        container.with_database(database_url(GATEWAY_DATABASE))
    for dependency in container.service.calls:
        container.with_dependency(dependency, routes.get(dependency, f"http://{dependency.name}:{dependency.port}"))
    return container


def create_database(postgres: DockerContainer, name: str) -> None:
    """A second database on the stack's PostgreSQL (the image makes only POSTGRES_DB)."""
    sql = f'CREATE DATABASE "{name}"'
    done = postgres.exec(["psql", "-U", POSTGRES_USER, "-d", INVENTORY_DATABASE, "-c", sql])
    if done.exit_code != 0:
        raise ContainersUnavailable(
            f"could not create database {name} on PostgreSQL: {done.output.decode(errors='replace')}"
        )


def kernel_has_netem(container: DockerContainer) -> bool:
    """Whether this kernel has the netem qdisc, asked in ``container`` (one with NET_ADMIN)."""
    with contextlib.suppress(Exception):
        added = container.exec(["tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", "0ms"])
        if added.exit_code == 0:
            container.exec(["tc", "qdisc", "del", "dev", "eth0", "root"])
            return True
    return False
