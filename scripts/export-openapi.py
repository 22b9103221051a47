#!/usr/bin/env python3
"""Writes each service's OpenAPI document to docs/openapi/<service>.json, from the FastAPI application
itself (``app.openapi()``), so a team building its own hello-dd can read the API without running ours.

    scripts/export-openapi.py           write the documents (make openapi)
    scripts/export-openapi.py --check   exit 1, naming them, when a committed document is out of date

The applications are built with their default settings (environment variables do not change a
document) and never started: building one opens no port, no database and no connection."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "openapi"
REFRESH = "make openapi (or scripts/export-openapi.py)"


def _apps() -> dict[str, Callable[[], Any]]:
    from hello_dd.services.common.settings import GatewaySettings, InventorySettings, PricingSettings
    from hello_dd.services.gateway.app import create_app as gateway_app
    from hello_dd.services.inventory.app import create_app as inventory_app
    from hello_dd.services.pricing.app import create_app as pricing_app

    # model_construct: the defaults as written, whatever variables this shell happens to have set.
    return {
        GatewaySettings.service_name: lambda: gateway_app(GatewaySettings.model_construct()),
        InventorySettings.service_name: lambda: inventory_app(InventorySettings.model_construct()),
        PricingSettings.service_name: lambda: pricing_app(PricingSettings.model_construct()),
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def documents() -> dict[Path, str]:
    """Each service's document as it should be committed, by file."""
    return {OUT / f"{name}.json": render(build().openapi()) for name, build in _apps().items()}


def stale(wanted: dict[Path, str]) -> list[Path]:
    """The committed documents that differ from ``wanted`` (or are missing)."""
    return [path for path, text in wanted.items() if not path.exists() or path.read_text() != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a document is out of date")
    args = parser.parse_args(argv)
    wanted = documents()
    if args.check:
        out_of_date = stale(wanted)
        for path in out_of_date:
            print(f"{path.relative_to(ROOT)} is out of date; refresh it with {REFRESH}", file=sys.stderr)
        return 1 if out_of_date else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for path, text in wanted.items():
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
