"""The services run without the suite: installing the project without extras brings none of the suite's
libraries. That what the service image runs (`hello-dd serve`, `hello-dd up`, the fault proxy's server)
imports none of them is one of the import contracts in pyproject.toml, which `make lint` checks."""

from __future__ import annotations

from importlib.metadata import requires

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT = "hello-dd-spec"
#: Distributions only the suite needs (the `spec` extra), never the services.
SUITE_ONLY = {"behave", "allure-behave", "locust", "matplotlib", "testcontainers"}


def _requirements() -> list[Requirement]:
    listed = requires(PROJECT)
    assert listed, f"{PROJECT} lists no requirements: is it installed (make setup)?"
    return [Requirement(text) for text in listed]


def _names(requirements: list[Requirement]) -> set[str]:
    return {canonicalize_name(r.name) for r in requirements}


def test_installing_without_extras_brings_no_suite_library():
    unconditional = [r for r in _requirements() if r.marker is None]
    assert "fastapi" in _names(unconditional), "the services' own dependencies are unconditional"
    assert _names(unconditional) & SUITE_ONLY == set()


def test_the_suite_libraries_come_with_the_spec_extra():
    spec = [r for r in _requirements() if r.marker is not None and r.marker.evaluate({"extra": "spec"})]
    assert _names(spec) >= SUITE_ONLY
