"""Write a copy of docker-compose.yml whose services and ports are renamed, and the mapping file that
tells -D stack=compose about it: the check that the suite finds a hello-dd whose Compose project does
not use hello-dd's names (make test-compose).

    python scripts/rename-compose.py OUTPUT_DIR    # writes OUTPUT_DIR/docker-compose.yml and mapping.toml

The copy's services are shop-gateway, stock and prices on ports 9080-9082, its PostgreSQL, Redis and
test agent are published on other host ports, and paths point back into this repository.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
#: hello-dd's name and port -> the copy's
RENAMED = {
    "api-gateway": ("shop-gateway", 9080),
    "inventory-service": ("stock", 9081),
    "pricing-service": ("prices", 9082),
}
OLD_PORTS = {"api-gateway": 8000, "inventory-service": 8001, "pricing-service": 8002}
HOST_PORT_SHIFT = 10000  # PostgreSQL 5432 -> 15432, Redis, the test agent


def _text(value: str) -> str:
    for old, (new, port) in RENAMED.items():
        value = value.replace(f"http://{old}:{OLD_PORTS[old]}", f"http://{new}:{port}")
        value = value.replace(f"127.0.0.1:{OLD_PORTS[old]}/", f"127.0.0.1:{port}/")
    return value


def _rewrite(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _rewrite(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite(value) for value in node]
    return _text(node) if isinstance(node, str) else node


def renamed_compose(original: dict[str, Any]) -> dict[str, Any]:
    services = {}
    for name, spec in original["services"].items():
        spec = _rewrite(spec)
        if "build" in spec:
            spec["build"] = str(ROOT)
        spec["volumes"] = [_absolute(v) for v in spec.get("volumes", [])] or None
        if isinstance(spec.get("depends_on"), dict):
            spec["depends_on"] = {RENAMED.get(k, (k,))[0]: v for k, v in spec["depends_on"].items()}
        if name in RENAMED:
            new, port = RENAMED[name]
            spec["environment"]["PORT"] = str(port)
            spec["ports"] = [f"127.0.0.1:{port}:{port}"]
            name = new
        else:
            spec["ports"] = [_shifted(p) for p in spec.get("ports", [])] or None
        services[name] = {key: value for key, value in spec.items() if value is not None}
    return {**original, "services": services}


def _absolute(volume: str) -> str:
    source, _, rest = volume.partition(":")
    return f"{(ROOT / source).resolve()}:{rest}" if source.startswith(".") else volume


def _shifted(published: str) -> str:
    host, port, target = published.rsplit(":", 2)
    return f"{host}:{int(port) + HOST_PORT_SHIFT}:{target}"


MAPPING = """# The mapping for the renamed copy of docker-compose.yml (scripts/rename-compose.py).
[services.api-gateway]
name = "shop-gateway"

[services.inventory-service]
name = "stock"
port = 9081

[services.pricing-service]
name = "prices"
"""


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    original = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    (out / "docker-compose.yml").write_text(
        yaml.safe_dump(renamed_compose(original), sort_keys=False), encoding="utf-8"
    )
    extra = (ROOT / "containers/compose/hello-dd.toml").read_text(encoding="utf-8")
    tables = extra[extra.index("[environment.") :]
    (out / "mapping.toml").write_text(MAPPING + "\n" + tables, encoding="utf-8")
    print(f"rename-compose: wrote {out / 'docker-compose.yml'} and {out / 'mapping.toml'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
