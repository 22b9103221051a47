"""The services run without the suite: installing the project without extras brings none of the suite's
libraries, and what the service image runs (`hello-dd serve`, `hello-dd up`, the fault proxy's server)
imports none of them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib.metadata import requires

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from hello_dd.services.common.server import SERVICES

PROJECT = "hello-dd-spec"
#: Distributions only the suite needs (the `spec` extra), never the services.
SUITE_ONLY = {"behave", "allure-behave", "locust", "matplotlib", "testcontainers"}
#: Their top-level modules, and those of the suite's other libraries (PyHamcrest, Locust's gevent,
#: Testcontainers' docker client).
SUITE_MODULES = ("behave", "allure", "allure_behave", "allure_commons", "hamcrest", "locust", "gevent")
SUITE_MODULES += ("matplotlib", "testcontainers", "docker")


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


def _imports_without(blocked: tuple[str, ...], modules: list[str]) -> subprocess.CompletedProcess[str]:
    """Import ``modules`` in a fresh interpreter where importing any of ``blocked`` fails, as it does
    where those libraries are not installed."""
    code = textwrap.dedent(
        f"""
        import importlib, sys

        class Absent:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {blocked!r}:
                    raise ModuleNotFoundError(f"No module named {{name!r}} (not installed in the service image)")
                return None

        sys.meta_path.insert(0, Absent())
        for module in {modules!r}:
            importlib.import_module(module)
        """
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_the_services_and_the_command_import_without_the_suite():
    apps = [target.split(":")[0] for target in SERVICES.values()]
    modules = ["hello_dd.cli", "hello_dd.stack", "hello_dd.services.common.telemetry", *apps]
    result = _imports_without(SUITE_MODULES, modules)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("module", ["hello_dd.harness.faults", "hello_dd.harness.faults.server"])
def test_the_fault_proxy_imports_without_the_suite_nor_requests(module):
    # The service image runs the proxy's server too; requests is the suite's HTTP client (RemoteFaultProxy).
    result = _imports_without((*SUITE_MODULES, "requests"), [module])
    assert result.returncode == 0, result.stderr


def test_the_blocking_itself_works():
    result = _imports_without(SUITE_MODULES, ["hello_dd.harness.fixtures"])
    assert result.returncode != 0 and "No module named 'behave'" in result.stderr
