"""The committed OpenAPI documents (docs/openapi/*.json) are the services' own: built again from the
FastAPI applications, each is exactly what is committed. A team building its own hello-dd reads them
next to docs/gateway-api.md, so a model changed without them fails here, naming the command that
refreshes them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "export-openapi.py"


def _export_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("export_openapi", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXPORT = _export_script()
WANTED = EXPORT.documents()


@pytest.mark.parametrize("path", sorted(WANTED), ids=lambda path: path.name)
def test_the_committed_document_is_the_applications_own(path: Path) -> None:
    assert path.exists(), f"{path.name} is not committed; write it with {EXPORT.REFRESH}"
    committed = json.loads(path.read_text())
    assert committed == json.loads(WANTED[path]), (
        f"docs/openapi/{path.name} is out of date with the application; refresh it with {EXPORT.REFRESH}"
    )
    assert path.read_text() == WANTED[path], f"{path.name} is not formatted as {EXPORT.REFRESH} writes it"


def test_no_document_is_committed_for_a_service_that_does_not_exist() -> None:
    committed = set(EXPORT.OUT.glob("*.json"))
    assert committed == set(WANTED), f"documents of no service: {sorted(p.name for p in committed - set(WANTED))}"
