"""Each result's links: the contract items its scenario proves (``@contract:<id>`` tags, anchors in
``docs/contract.md``) and the glossary-and-policy page ``features/README.md``.

By default the links are relative to the HTML report in ``reports/allure-report/`` (two levels below
the repository root), so they work when the report is opened from the repository: as the single-file
report from disk, or served over HTTP from the repository root. For a report read elsewhere, give web
addresses: ``-D contract_url=https://.../docs/contract.md`` and ``-D glossary_url=https://.../features/README.md``.
A link is named after the contract item's heading when ``docs/contract.md`` has one for its anchor.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

CONTRACT_TAG_PREFIX = "contract:"
CONTRACT_DOC = Path("docs/contract.md")
GLOSSARY_DOC = Path("features/README.md")
# From reports/allure-report/index.html to the repository root.
REPORT_TO_ROOT = "../../"
GLOSSARY_NAME = "Glossary and policy"

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<text>.+?)\s*#*\s*$")
_HTML_ANCHOR = re.compile(r"""<a\s+(?:id|name)\s*=\s*["'](?P<id>[^"']+)["']\s*>\s*</a>""", re.I)
_ATTRIBUTE_ANCHOR = re.compile(r"\s*\{#(?P<id>[^}\s]+)\}\s*$")


@dataclass(frozen=True)
class Link:
    name: str
    url: str
    type: str = "link"


def contract_ids(tags: Iterable[str]) -> list[str]:
    """The contract item ids of ``@contract:<id>`` tags, in order, each once."""
    ids: list[str] = []
    for tag in tags:
        if tag.startswith(CONTRACT_TAG_PREFIX) and (item := tag[len(CONTRACT_TAG_PREFIX) :].strip()):
            if item not in ids:
                ids.append(item)
    return ids


def github_slug(heading: str) -> str:
    """The anchor GitHub (and most Markdown renderers) give a heading."""
    text = re.sub(r"[`*_~\[\]()]", "", heading).strip().lower()
    return re.sub(r"\s", "-", re.sub(r"[^\w\- ]", "", text))


def contract_titles(markdown: str) -> dict[str, str]:
    """Anchor id -> heading text: every heading under its GitHub slug, and explicit anchors
    (``<a id="x"></a>`` on or just before a heading, or ``{#x}`` after it) under their own id."""
    titles: dict[str, str] = {}
    pending: list[str] = []
    for line in markdown.splitlines():
        anchors = [m.group("id") for m in _HTML_ANCHOR.finditer(line)]
        text = _HTML_ANCHOR.sub("", line)
        heading = _HEADING.match(text)
        if heading is None:
            if text.strip():
                pending = []
            pending += anchors
            continue
        title = heading.group("text")
        explicit = _ATTRIBUTE_ANCHOR.search(title)
        if explicit:
            anchors.append(explicit.group("id"))
            title = title[: explicit.start()].strip()
        for anchor in (*pending, *anchors, github_slug(title)):
            titles.setdefault(anchor, title)
        pending = []
    return titles


@dataclass
class DocumentLinks:
    contract_url: str
    glossary_url: str
    titles: dict[str, str] = field(default_factory=dict)
    #: True when docs/contract.md was read, so unknown ids can be told apart.
    contract_known: bool = False
    unknown_ids: set[str] = field(default_factory=set)

    @classmethod
    def from_userdata(cls, userdata: Mapping[str, str], root: Path) -> DocumentLinks:
        contract = root / CONTRACT_DOC
        known = contract.is_file()
        return cls(
            contract_url=userdata.get("contract_url") or REPORT_TO_ROOT + CONTRACT_DOC.as_posix(),
            glossary_url=userdata.get("glossary_url") or REPORT_TO_ROOT + GLOSSARY_DOC.as_posix(),
            titles=contract_titles(contract.read_text(encoding="utf-8")) if known else {},
            contract_known=known,
        )

    def for_tags(self, tags: Iterable[str]) -> list[Link]:
        """The contract links of these tags, then the glossary link."""
        links = []
        for item in contract_ids(tags):
            if self.contract_known and item not in self.titles:
                self.unknown_ids.add(item)
            title = self.titles.get(item)
            name = f"Contract {item}: {title}" if title else f"Contract {item}"
            links.append(Link(name=name, url=f"{self.contract_url.split('#', 1)[0]}#{item}"))
        links.append(Link(name=GLOSSARY_NAME, url=self.glossary_url))
        return links
