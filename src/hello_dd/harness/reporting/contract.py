"""The contract (docs/contract.md) as data: its items, each with an id, a section and a statement, and
which scenarios prove each one (their ``@contract:<id>`` tags)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CONTRACT_PATH = Path("docs/contract.md")
CONTRACT_TAG = "contract:"
_SECTION = re.compile(r"^## (.+)$")
_ITEM = re.compile(r'^- <a id="([a-z0-9-]+)"></a>\*\*\1\*\* —\s*(.*)$')
_CHECKED_BY = re.compile(r"\(checked by `([^`]+)`\)")


class ContractError(ValueError):
    """docs/contract.md cannot be read as the list of items the spec map needs."""


@dataclass(frozen=True)
class ContractItem:
    id: str
    section: str
    statement: str

    @property
    def checked_by(self) -> str | None:
        """The test outside the specification that checks this item, for items no scenario can prove."""
        match = _CHECKED_BY.search(self.statement)
        return match.group(1) if match else None

    @property
    def title(self) -> str:
        """The statement's first sentence, for a table."""
        first = re.split(r"(?<=[.;])\s", self.statement, maxsplit=1)[0]
        return first.rstrip(".;")


def parse_contract(text: str) -> list[ContractItem]:
    """The items of docs/contract.md, in order: a line ``- <a id="ID"></a>**ID** — statement`` starts
    one (its statement continues on the indented lines after it), under the ``## section`` above it."""
    items: list[ContractItem] = []
    section = ""
    current: list[str] | None = None
    current_id = ""

    def close() -> None:
        if current is not None:
            items.append(ContractItem(current_id, section, " ".join(part.strip() for part in current if part.strip())))

    for line in text.splitlines():
        if heading := _SECTION.match(line):
            close()
            current = None
            section = heading.group(1).strip()
        elif item := _ITEM.match(line):
            close()
            current_id, current = item.group(1), [item.group(2)]
        elif current is not None and line.startswith("  ") and line.strip():
            current.append(line)
        else:
            close()
            current = None
    close()
    ids = [item.id for item in items]
    if duplicates := sorted({i for i in ids if ids.count(i) > 1}):
        raise ContractError(f"contract items with the same id: {', '.join(duplicates)}")
    if not items:
        raise ContractError('no contract item found (lines like: - <a id="ID"></a>**ID** — statement)')
    return items


def load_contract(path: Path = CONTRACT_PATH) -> list[ContractItem]:
    try:
        return parse_contract(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContractError(f"cannot read the contract {path}: {exc}") from exc


def contract_ids(tags: Iterable[str]) -> list[str]:
    """The contract item ids a scenario's tags name (``contract:p2-total`` -> ``p2-total``)."""
    return [tag.lstrip("@").removeprefix(CONTRACT_TAG) for tag in tags if tag.lstrip("@").startswith(CONTRACT_TAG)]
