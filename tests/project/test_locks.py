"""The committed locks agree with what they are made from (`make lock` makes them all): uv.lock with
pyproject.toml (`make setup` checks that itself: `uv sync --locked`), requirements/services.txt with uv.lock,
requirements/test-agent.txt with the Makefile's TEST_AGENT_VERSION."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PINNED = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)", re.M)


def _locked() -> dict[str, set[str]]:
    """Each package of uv.lock and its versions (one per Python version where the resolution forks)."""
    versions: dict[str, set[str]] = {}
    for package in tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))["package"]:
        versions.setdefault(canonicalize_name(package["name"]), set()).add(package.get("version", ""))
    return versions


def test_the_services_requirements_are_uv_locks_versions_of_the_services_dependencies():
    locked = _locked()
    exported = {
        canonicalize_name(name): version for name, version in PINNED.findall(_text("requirements/services.txt"))
    }
    assert {name: version for name, version in exported.items() if version not in locked.get(name, set())} == {}, (
        "requirements/services.txt differs from uv.lock: run `make lock`"
    )
    project = tomllib.loads(_text("pyproject.toml"))["project"]
    services = {canonicalize_name(Requirement(text).name) for text in project["dependencies"]}
    assert services - exported.keys() == set(), "requirements/services.txt lacks services' dependencies"
    assert {"behave", "pytest"} & exported.keys() == set(), "requirements/services.txt holds the extras too"


def test_the_test_agent_requirements_pin_the_makefiles_release():
    # The containers provider and the stand-in images read TEST_AGENT_VERSION too: all name one release.
    version = re.search(r"^TEST_AGENT_VERSION := (\S+)$", _text("Makefile"), re.M)
    pinned = dict(PINNED.findall(_text("requirements/test-agent.txt")))
    assert version and pinned.get("ddapm-test-agent") == version[1], "run `make lock` after changing TEST_AGENT_VERSION"
    assert "--hash=sha256:" in _text("requirements/test-agent.txt"), "the agent's requirements carry hashes"


def _text(relative: str) -> str:
    return (ROOT / relative).read_text(encoding="utf-8")
