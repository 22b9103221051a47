"""Each result's links: the contract items its scenario proves (``@contract:<id>`` tags, anchors in
``docs/contract.md``) and the glossary-and-policy page ``features/README.md``.

By default the links are relative to the HTML report in ``reports/allure-report/`` (two levels below
the repository root), so they work when the report is opened from the repository: as the single-file
report from disk, or served over HTTP from the repository root. For a report read elsewhere, give web
addresses: ``-D contract_url=https://.../docs/contract.md`` and ``-D glossary_url=https://.../features/README.md``.
A link is named after its contract item (the first sentence of its statement, ``harness.contract``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hello_dd.harness.reporting.contract import CONTRACT_PATH, ContractError, contract_ids, load_contract

GLOSSARY_PATH = Path("features/README.md")
# From reports/allure-report/index.html to the repository root.
REPORT_TO_ROOT = "../../"
GLOSSARY_NAME = "Glossary and policy"
TITLE_CHARS = 90


@dataclass(frozen=True)
class Link:
    name: str
    url: str
    type: str = "link"


def _shorten(text: str) -> str:
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"


@dataclass
class DocumentLinks:
    contract_url: str
    glossary_url: str
    #: Contract item id -> its title; None when docs/contract.md could not be read.
    titles: dict[str, str] | None = None
    unknown_ids: set[str] = field(default_factory=set)

    @classmethod
    def from_userdata(cls, userdata: Mapping[str, str], root: Path) -> DocumentLinks:
        try:
            titles = {item.id: item.title for item in load_contract(root / CONTRACT_PATH)}
        except ContractError:
            titles = None  # links still point at the anchors; they are named by id only
        return cls(
            contract_url=userdata.get("contract_url") or REPORT_TO_ROOT + CONTRACT_PATH.as_posix(),
            glossary_url=userdata.get("glossary_url") or REPORT_TO_ROOT + GLOSSARY_PATH.as_posix(),
            titles=titles,
        )

    def for_tags(self, tags: Iterable[str]) -> list[Link]:
        """The contract links of these tags (each item once, in order), then the glossary link."""
        links = []
        for item in dict.fromkeys(i for i in contract_ids(tags) if i):
            title = (self.titles or {}).get(item)
            if self.titles is not None and title is None:
                self.unknown_ids.add(item)
            name = f"Contract {item}: {_shorten(title)}" if title else f"Contract {item}"
            links.append(Link(name=name, url=f"{self.contract_url.split('#', 1)[0]}#{item}"))
        links.append(Link(name=GLOSSARY_NAME, url=self.glossary_url))
        return links
