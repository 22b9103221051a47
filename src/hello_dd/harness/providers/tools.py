"""What the providers that run the stack in Docker share: the engine check, the suite's tools image
(the fault-injecting proxy, built from ``containers/spec-tools/Dockerfile``; the service image holds the
services only) and the proxy's command line, and the test agent's image.

It imports no Docker library at module level, so the providers import it freely."""

from __future__ import annotations

import time
from pathlib import Path

from hello_dd.harness import progress
from hello_dd.topology import Service

REPO_ROOT = Path(__file__).resolve().parents[4]
#: The suite's tools image: the fault proxy (``python -m hello_dd.harness.faults.server``) and nothing else.
TOOLS_IMAGE = "hello-dd-spec-tools:latest"
TOOLS_DOCKERFILE = "containers/spec-tools/Dockerfile"
AGENT_IMAGE_REPOSITORY = "ghcr.io/datadog/dd-apm-test-agent/ddapm-test-agent"
#: Where a fault proxy listens for the caller's traffic and for the suite's control calls, in its container.
PROXY_LISTEN_PORT = 9000
PROXY_CONTROL_PORT = 9100


class ContainersUnavailable(RuntimeError):
    """No Docker engine answers, or an image cannot be had; the message says what to do."""


def say(provider: str, message: str) -> None:
    progress.say(f"{provider}: {message}")


def check_engine(provider: str) -> None:
    """ContainersUnavailable unless a Docker engine answers."""
    import docker
    from docker.errors import DockerException

    try:
        docker.from_env(timeout=10).ping()
    except DockerException as exc:
        raise ContainersUnavailable(
            f"stack={provider} needs a running Docker engine, and none answers ({exc}); start dockerd "
            "(or Docker Desktop), or use the embedded stack (-D stack=local)"
        ) from exc


def build_image(provider: str, tag: str, dockerfile: str = "Dockerfile") -> None:
    """``docker build`` of the repository with ``dockerfile`` (testcontainers' DockerImage; the layers are
    cached, so a rebuild after a code change takes seconds)."""
    from docker.errors import BuildError
    from testcontainers.core.image import DockerImage

    say(provider, f"building image {tag} from {REPO_ROOT / dockerfile} (the first build takes a few minutes)")
    started = time.monotonic()
    try:
        DockerImage(path=REPO_ROOT, dockerfile_path=dockerfile, tag=tag, clean_up=False).build()
    except BuildError as exc:
        output = "".join(str(part.get("stream") or part.get("error") or "") for part in exc.build_log)
        raise ContainersUnavailable(f"the build of {tag} failed ({exc.msg}):\n{output[-3000:]}") from exc
    say(provider, f"image {tag} built in {time.monotonic() - started:.0f} s")


def test_agent_image() -> str:
    """The test agent image of the release the project pins (the Makefile's TEST_AGENT_VERSION)."""
    for line in (REPO_ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        if line.startswith("TEST_AGENT_VERSION :="):
            return f"{AGENT_IMAGE_REPOSITORY}:v{line.split(':=', 1)[1].strip()}"
    raise ContainersUnavailable(
        f"{REPO_ROOT / 'Makefile'} names no TEST_AGENT_VERSION, so the test agent image is unknown"
    )


def proxy_route(target: Service) -> str:
    """The proxy's name in its log lines and the fault reports."""
    return f"gateway -> {target.name}"


def fault_proxy_command(target: str, route: str) -> list[str]:
    """The tools image's command that runs a fault proxy in front of ``target`` (``host:port``)."""
    return [
        "python", "-m", "hello_dd.harness.faults.server",
        "--listen", f"0.0.0.0:{PROXY_LISTEN_PORT}", "--target", target,
        "--control", f"0.0.0.0:{PROXY_CONTROL_PORT}", "--allow-private-target", "--name", route,
    ]  # fmt: skip  # each option beside its value
