"""The report's environment view: which stack the run verified and with what.

``write_environment(config, provider)`` is called once from ``before_all`` when the stack is up. It
writes ``environment.properties`` into the Allure results directory: stack kind and description,
tracer, gateway URL, load profile, the version each service reports on ``/health``, the test agent,
Python and the key libraries, the git commit and the machine (cores, memory). Allure 3 shows them
on the report's overview ("Metadata").
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import requests

from hello_dd.harness.providers.base import StackControlUnavailable
from hello_dd.topology import NAMES, SERVICES

FILE_NAME = "environment.properties"
# The libraries that decide how the stack and the suite behave (pinned in pyproject.toml).
KEY_LIBRARIES = (
    "fastapi",
    "uvicorn",
    "aiohttp",
    "SQLAlchemy",
    "opentelemetry-sdk",
    "ddtrace",
    "behave",
    "allure-behave",
    "requests",
    "locust",
)
# Short keys: the report's overview cuts keys longer than about 17 characters.
VERSION_KEYS = {service.name: f"{service.prefix.capitalize()} version" for service in SERVICES}
HEALTH_TIMEOUT_S = 2.0
GIT_TIMEOUT_S = 5.0


def allure_results_dirs(config: Any) -> list[Path]:
    """The output directories of the run's Allure formatters (``-f ...AllureFormatter -o DIR``)."""
    formats = list(config.format or [])
    outfiles = list(config.outfiles or [])
    return [Path(outfiles[i]) for i, name in enumerate(formats) if "AllureFormatter" in name and i < len(outfiles)]


def service_version(url: str | None) -> str:
    """The ``version`` a service's ``/health`` reports, or why it is unknown."""
    if not url:
        return "unknown (no URL)"
    try:
        answer = requests.get(url.rstrip("/") + "/health", timeout=HEALTH_TIMEOUT_S)
        version = answer.json().get("version") if answer.ok else None
    except (requests.RequestException, ValueError, AttributeError) as exc:
        return f"unknown ({type(exc).__name__})"
    return str(version) if version else f"unknown (/health answered {answer.status_code} without a version)"


def test_agent_version(provider_name: str, root: Path) -> str:
    """The ddapm-test-agent the stack runs: the version installed in .venv-agent (local) or the
    Makefile's pin (containers, whose image tag is that pin)."""
    if provider_name == "external":
        return "not run by the suite"
    if provider_name == "local":
        found = sorted((root / ".venv-agent").glob("lib/python*/site-packages/ddapm_test_agent-*.dist-info"))
        if found:
            return found[-1].name.removeprefix("ddapm_test_agent-").removesuffix(".dist-info")
    makefile = root / "Makefile"
    pin = re.search(r"^TEST_AGENT_VERSION\s*:=\s*(\S+)", makefile.read_text(), re.M) if makefile.is_file() else None
    return pin.group(1) if pin else "unknown"


def git_commit(root: Path) -> str:
    """The short commit id, with ``(uncommitted changes)`` when tracked files differ from it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=GIT_TIMEOUT_S, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return f"{commit} (uncommitted changes)" if dirty else commit


def machine() -> str:
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        memory_text = f"{memory:.1f} GiB memory"
    except (ValueError, OSError, AttributeError):
        memory_text = "memory unknown"
    return f"{os.cpu_count()} cores, {memory_text}, {platform.system()} {platform.release()} {platform.machine()}"


def library_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe_run(provider: Any, userdata: Mapping[str, str], root: Path) -> dict[str, str]:
    """Environment entries, in the order the report lists them."""
    urls = provider.urls
    entries = {
        "Stack": provider.name,
        "Stack description": provider.describe(),
        "Tracer": str(getattr(provider, "tracer", userdata.get("tracer", "unknown"))),
        "Gateway URL": urls.gateway,
        "Load profile": userdata.get("load_profile", "short"),
    }
    for name in NAMES:
        try:
            url = urls.service(name)
        except StackControlUnavailable:  # an external stack need not name every service
            url = None
        entries[VERSION_KEYS[name]] = service_version(url)
    entries["ddapm-test-agent"] = test_agent_version(provider.name, root)
    entries["Python"] = f"{platform.python_implementation()} {platform.python_version()}"
    entries.update({name: library_version(name) for name in KEY_LIBRARIES})
    entries["Git commit"] = git_commit(root)
    entries["Machine"] = machine()
    entries["Run started"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return entries


def _escape(text: str, *, key: bool) -> str:
    text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    if key:
        return re.sub(r"([ =:#!])", r"\\\1", text)
    return "\\" + text if text.startswith(" ") else text


def properties(entries: Mapping[str, str]) -> str:
    """Java properties text (what Allure reads from ``environment.properties``)."""
    return "".join(f"{_escape(k, key=True)}={_escape(v, key=False)}\n" for k, v in entries.items())


def write_environment(config: Any, provider: Any, root: Path | None = None) -> list[Path]:
    """Writes the run's environment into every Allure results directory of the run; returns the files."""
    root = root or Path.cwd()
    text = properties(describe_run(provider, config.userdata, root))
    written = []
    for directory in allure_results_dirs(config):
        try:
            directory.mkdir(parents=True, exist_ok=True)
            (directory / FILE_NAME).write_text(text, encoding="utf-8")
        except OSError as exc:  # the report loses its environment view; the run goes on
            print(f"hello-dd report: could not write {directory / FILE_NAME}: {exc}", file=sys.stderr)
            continue
        written.append(directory / FILE_NAME)
    return written
