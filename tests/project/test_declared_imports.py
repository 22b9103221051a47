"""Every third-party package the code imports is declared in pyproject.toml, in the group that installs it
where that code runs: the services' code ([project] dependencies, all the service image holds), the suite's
(the spec extra) or the development tools' (the dev extra). A package that only arrives as another one's
dependency is not declared: it may go away with the next release of the one that brings it."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from importlib.metadata import distribution, packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
SERVICES, SPEC, DEV = "[project] dependencies", "the spec extra", "the dev extra"
#: Where code runs, and so which groups may provide what it imports; the first pattern that matches wins.
AREAS: list[tuple[str, tuple[str, ...]]] = [
    # the service image installs the services' dependencies only
    (r"src/hello_dd/(services|stack)/.*|src/hello_dd/[^/]+\.py", (SERVICES,)),
    # the suite: the harness (the fault proxy too, which runs beside the stack, not in its image), steps, hooks
    (r"src/hello_dd/harness/.*|steps/.*|environment\.py", (SERVICES, SPEC)),
    (r"tests/.*|scripts/.*", (SERVICES, SPEC, DEV)),
]
SCANNED = ["src", "steps", "environment.py", "scripts", "tests"]


def declared(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, set[str]]:
    """Each group's distributions (canonical names), as pyproject.toml declares them."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    groups = {SERVICES: project["dependencies"]}
    groups |= {f"the {name} extra": listed for name, listed in project["optional-dependencies"].items()}
    return {group: {canonicalize_name(Requirement(text).name) for text in listed} for group, listed in groups.items()}


def area_of(relative: str) -> tuple[str, ...]:
    for pattern, groups in AREAS:
        if re.fullmatch(pattern, relative):
            return groups
    raise AssertionError(f"{relative}: no rule says which groups its imports may come from (AREAS)")


def imported(path: Path) -> Iterator[tuple[str, str]]:
    """The absolute imports in ``path``, anywhere in it (inside functions too), as (the module as written,
    the name to look up): ``a.b`` for ``import a.b``, ``a.b.c`` for ``from a.b import c`` (c may be a
    module of its own, in a namespace several distributions share)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield from ((node.module, f"{node.module}.{alias.name}") for alias in node.names)


def third_party(path: Path, module: str) -> bool:
    top = module.split(".")[0]
    first_party = top == "hello_dd" or top in {"tests", "steps", "environment"}
    # a module beside the importing file or a folder above it (scripts/mutation_check.py imports
    # scripts/mutation_catalogue.py; scripts/benchmark/soak.py imports scripts/benchmark/measure.py)
    beside = any(
        (folder / f"{top}.py").is_file() or (folder / top / "__init__.py").is_file()
        for folder in path.resolve().parents
        if folder.is_relative_to(ROOT)
    )
    return not (top in sys.stdlib_module_names or first_party or beside)


@cache
def _packages() -> dict[str, list[str]]:
    return packages_distributions()


@cache
def _files(dist: str) -> frozenset[str]:
    return frozenset(str(file) for file in distribution(dist).files or [])


def distribution_of(module: str) -> str | None:
    """The installed distribution that provides ``module`` (canonical name), or None. A namespace several
    distributions share (``opentelemetry``) is resolved by which of them ships the module's file."""
    parts = module.split(".")
    candidates = sorted(set(_packages().get(parts[0], [])))
    if len(candidates) == 1:
        return canonicalize_name(candidates[0])
    for length in range(len(parts), 1, -1):
        stem = "/".join(parts[:length])
        for dist in candidates:
            if {f"{stem}.py", f"{stem}/__init__.py"} & _files(dist):
                return canonicalize_name(dist)
    return None


def undeclared(groups: dict[str, set[str]], root: Path = ROOT, scanned: list[str] = SCANNED) -> list[str]:
    """One line for each import that no allowed group declares, naming the file, module and package."""
    files = [
        path for name in scanned for path in ([root / name] if name.endswith(".py") else (root / name).rglob("*.py"))
    ]
    problems = []
    for path in sorted(files):
        relative = path.relative_to(root).as_posix()
        allowed = area_of(relative)
        for module, name in sorted({m for m in imported(path) if third_party(path, m[0])}):
            dist = distribution_of(name) or distribution_of(module)
            if dist is None:
                problems.append(f"{relative}: imports {module}, which no installed distribution provides")
            elif not any(dist in groups[group] for group in allowed):
                problems.append(f"{relative}: imports {module} from {dist}, not declared in {' or '.join(allowed)}")
    return sorted(set(problems))


def test_every_import_is_declared_where_its_code_runs():
    assert undeclared(declared()) == []


def test_an_undeclared_import_is_named_with_its_package(tmp_path):
    # A service module importing the suite's HTTP client, a harness module a package nobody declares.
    (tmp_path / "src/hello_dd/services").mkdir(parents=True)
    (tmp_path / "src/hello_dd/services/app.py").write_text("import fastapi\nfrom requests import get\n")
    (tmp_path / "src/hello_dd/harness").mkdir(parents=True)
    (tmp_path / "src/hello_dd/harness/load.py").write_text("import yaml\nimport json\nfrom hello_dd import cli\n")
    groups = {SERVICES: {"fastapi"}, SPEC: {"requests"}, DEV: {"pyyaml"}}
    assert undeclared(groups, tmp_path, ["src"]) == [
        "src/hello_dd/harness/load.py: imports yaml from pyyaml, not declared in [project] dependencies or the spec extra",
        "src/hello_dd/services/app.py: imports requests from requests, not declared in [project] dependencies",
    ]


@pytest.mark.parametrize(
    ("module", "dist"),
    [
        ("yaml", "pyyaml"),
        ("hamcrest.core", "pyhamcrest"),
        ("opentelemetry.sdk.trace", "opentelemetry-sdk"),
        ("opentelemetry.trace.Span", "opentelemetry-api"),
        ("opentelemetry.instrumentation.redis.RedisInstrumentor", "opentelemetry-instrumentation-redis"),
    ],
)
def test_modules_map_to_their_distributions(module, dist):
    assert distribution_of(module) == dist


def test_the_project_is_installed_editable():
    # make setup installs the project from this tree (src/), so a change to the code needs no reinstall.
    import hello_dd

    assert Path(hello_dd.__file__).resolve().is_relative_to(ROOT / "src")
