"""The project's pages point only at what the repository holds: every link in README.md, docs/*.md and
features/README.md reaches a file or folder of the repository (not a generated one), every
``#anchor`` names a heading or an ``id`` of the page it points into (the contract's items, say), and
every path they name in code (`scripts/bench.py`) exists. Links to web addresses are not followed
(the tests run offline)."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", ROOT / "features" / "README.md", *(ROOT / "docs").glob("*.md")])

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
_CODE_SPAN = re.compile(r"(`+).+?\1", re.S)
# [text](target) and ![alt](target), the target up to a space (a title may follow) or the closing bracket
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_EXPLICIT_ID = re.compile(r"""<a\s+(?:id|name)=["']([^"']+)["']""")
_WEB = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def _prose(text: str) -> str:
    """The text without fenced code blocks and code spans, where a bracket is not a link."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def links(text: str) -> list[str]:
    return _LINK.findall(_prose(text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: link text kept, lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    found = set(_EXPLICIT_ID.findall(text))
    seen: dict[str, int] = {}
    for heading in _HEADING.findall(_FENCE.sub("", text)):
        base = slug(heading)
        count = seen.get(base, 0)
        found.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    return found


@cache
def repository_files() -> frozenset[str] | None:
    """The files a clone of the repository has (tracked, or new and not ignored), relative to the root;
    None where git cannot tell (not a checkout), and then the file system decides."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return frozenset(name for name in listed.decode().split("\0") if name)


def in_repository(path: Path) -> bool:
    if not path.exists():
        return False
    files = repository_files()
    if files is None:
        return True
    relative = path.resolve().relative_to(ROOT).as_posix()
    return relative in files or any(name.startswith(relative + "/") for name in files)


def broken_links(page: Path, text: str | None = None) -> list[str]:
    """What is wrong with the links of ``page`` (its ``text``, when given, instead of the file's)."""
    text = page.read_text(encoding="utf-8") if text is None else text
    problems = []
    for target in links(text):
        if _WEB.match(target):
            continue
        path_part, _, anchor = target.partition("#")
        if not path_part:
            if anchor not in anchors(text):
                problems.append(f"{target}: this page has no anchor #{anchor}")
            continue
        path = (page.parent / unquote(path_part)).resolve()
        if not path.is_relative_to(ROOT):
            problems.append(f"{target}: outside the repository")
        elif not in_repository(path):
            problems.append(f"{target}: {path.relative_to(ROOT)} is not in the repository")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path.read_text(encoding="utf-8")):
            problems.append(f"{target}: {path.relative_to(ROOT)} has no anchor #{anchor}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_link_resolves(page):
    assert broken_links(page) == []


# `scripts/bench.py`, `src/hello_dd/harness/traces/`: a path from the repository's root, in a code span
_NAMED_PATH = re.compile(r"`((?:src|scripts|tests|docs|features|steps|deploy|containers|\.ci)/[\w./-]*)`")


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_path_a_page_names_is_in_the_repository(page):
    named = _NAMED_PATH.findall(page.read_text(encoding="utf-8"))
    assert [path for path in named if not in_repository(ROOT / path)] == []


def test_the_readme_stays_short():
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) < 250


# -- the checker itself ------------------------------------------------------------------------------


def test_links_in_code_are_not_links():
    text = "see [the contract](docs/contract.md) and `[x](nowhere.md)`\n```\n[y](nowhere.md)\n```\n"
    assert links(text) == ["docs/contract.md"]


def test_headings_and_explicit_ids_are_anchors():
    text = '# Running the stack\n## `hello-dd up`: a [tool](x.md)\n## Running the stack\n<a id="p1-one-answer"></a>\n'
    assert anchors(text) == {"running-the-stack", "hello-dd-up-a-tool", "running-the-stack-1", "p1-one-answer"}


def test_a_missing_file_a_missing_anchor_and_a_generated_file_are_each_reported():
    text = (
        "[a](nowhere.md) [b](contract.md#no-such-item) [c](contract.md#p1-one-answer) "
        "[d](../reports/test_report.md) [e](https://example.com/x.md) [f](#nothing-here) [g](#a-heading)\n"
        "## A heading\n"
    )
    problems = broken_links(ROOT / "docs" / "a-page.md", text)
    assert [problem.split(":")[0] for problem in problems] == [
        "nowhere.md",
        "contract.md#no-such-item",
        "../reports/test_report.md",
        "#nothing-here",
    ]
