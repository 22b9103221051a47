"""The containers provider's configuration and its failure without a Docker engine. The provider's
behaviour with an engine is checked by the whole specification in `make test-containers`."""

from __future__ import annotations

import pytest

from hello_dd.harness.providers import ConfigurationError, DockerContainers, provider_from_userdata
from hello_dd.harness.providers.stack_containers import publish_on_loopback
from hello_dd.harness.providers.tools import ContainersUnavailable


def test_stack_containers_is_chosen_with_its_options(tmp_path):
    provider = provider_from_userdata(
        {"stack": "containers", "tracer": "ddtrace", "image": "x:1", "build_image": "false"}, tmp_path
    )
    assert isinstance(provider, DockerContainers)
    assert (provider.tracer, provider.image, provider.build) == ("ddtrace", "x:1", False)
    assert provider.controls_stack and provider.reads_logs


def test_a_bad_build_image_value_is_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="build_image takes true or false"):
        provider_from_userdata({"stack": "containers", "build_image": "maybe"}, tmp_path)


def test_ports_are_published_on_loopback_only():
    class Container:
        ports: dict[str, object] = {}

    container = publish_on_loopback(Container(), 8000, 18000)
    publish_on_loopback(container, 6379)
    assert container.ports == {"8000/tcp": ("127.0.0.1", 18000), "6379/tcp": ("127.0.0.1",)}


def test_without_an_engine_the_start_says_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    provider = DockerContainers(reports_dir=tmp_path, build=False)
    with pytest.raises(ContainersUnavailable, match="needs a running Docker engine"):
        provider.start()
    provider.stop()  # nothing was created: stopping is a no-op, not an error
