"""The mutation catalogue (``scripts/mutants.toml``) read and checked, for the runner
(``scripts/mutation_check.py``) and for the test that keeps the catalogue in step with the code
(``tests/scripts/test_mutation_catalogue.py``).

:func:`load` reads the file and rejects, with every problem named, what the runner could not use: an
unknown key, a missing or mistyped field, a name given twice, a file or feature that does not exist.
:func:`stale_edits` names the edits whose ``old`` text no longer occurs exactly once in its file (code
reformatted or changed since the mutant was written); :func:`apply` makes a mutant's edits in a copy.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "scripts" / "mutants.toml"

_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_EDIT_KEYS = {"path": str, "old": str, "new": str}
_REQUIRED = {"name": str, "why": str, **_EDIT_KEYS, "features": list}
_OPTIONAL = {"also": list, "userdata": dict, "tags": list, "redis": bool}


class CatalogueError(Exception):
    """The catalogue cannot be used as it is; the message lists every problem found."""


@dataclass(frozen=True)
class Edit:
    path: str
    old: str
    new: str


@dataclass(frozen=True)
class Options:
    """What the runs of a mutant need besides the default behave command: ``-D`` options, ``--tags``
    expressions, and a Redis for pricing-service's cache. Mutants with equal options share a baseline."""

    userdata: tuple[tuple[str, str], ...] = ()
    tags: tuple[str, ...] = ()
    redis: bool = False

    def describe(self) -> str:
        parts = [f"{key}={value}" for key, value in self.userdata]
        parts += [f"tags {tag}" for tag in self.tags]
        return ", ".join(parts + (["pricing cached in Redis"] if self.redis else [])) or "default options"


@dataclass(frozen=True)
class Mutant:
    name: str
    why: str
    edits: tuple[Edit, ...]  # the first one is the table's own path/old/new, then its [[mutant.also]]
    features: tuple[str, ...]
    options: Options = Options()


def load(path: Path = CATALOGUE, root: Path = ROOT) -> list[Mutant]:
    """The catalogue's mutants in the file's order; :class:`CatalogueError` if anything is wrong with it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"{path}: {exc}") from exc
    problems = [f"unknown top-level key {key!r} (only [[mutant]] tables)" for key in data if key != "mutant"]
    tables = data.get("mutant", [])
    if not isinstance(tables, list) or not tables:
        problems.append("no [[mutant]] tables")
        tables = []
    mutants, seen = [], set()
    for number, table in enumerate(tables, start=1):
        if not isinstance(table, dict):
            problems.append(f"mutant #{number} is not a table")
            continue
        where = f"mutant #{number} ({table.get('name', 'no name')})"
        found = _problems(table, root)
        if table.get("name") in seen:
            found.append("the name is given twice")
        seen.add(table.get("name"))
        problems += [f"{where}: {problem}" for problem in found]
        if not found:
            mutants.append(_mutant(table))
    if problems:
        raise CatalogueError(f"{path}:\n" + "\n".join(f"  {problem}" for problem in problems))
    return mutants


def _problems(table: dict[str, Any], root: Path) -> list[str]:
    problems = _unknown_keys(table, _REQUIRED, _OPTIONAL)
    if wrong := _wrong_fields(table, _REQUIRED, _OPTIONAL):
        return problems + wrong
    if not _NAME.match(table["name"]):
        problems.append("the name must be lowercase words joined by dashes")
    if not table["why"].strip() or "\n" in table["why"]:
        problems.append("why must be one line of words")
    for number, edit in enumerate(table.get("also", []), start=1):
        found = ["not a table"]
        if isinstance(edit, dict):
            found = _unknown_keys(edit, _EDIT_KEYS, {}) + _wrong_fields(edit, _EDIT_KEYS, {})
        if found:
            return problems + [f"[[mutant.also]] #{number}: {problem}" for problem in found]
    for edit in [table, *table.get("also", [])]:
        file = (root / edit["path"]).resolve()
        if not file.is_relative_to(root.resolve()) or not file.is_file():
            problems.append(f"{edit['path']} is not a file of the project")
        if not edit["old"] or edit["old"] == edit["new"]:
            problems.append(f"the edit of {edit['path']} must replace a non-empty text by another")
    for feature in table["features"]:
        if not isinstance(feature, str) or not (root / "features" / f"{feature}.feature").is_file():
            problems.append(f"features/{feature}.feature does not exist")
    if not table["features"]:
        problems.append("features is empty: the break must be shown to some scenario")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in table.get("userdata", {}).items()):
        problems.append("userdata must map option names to text")
    if not all(isinstance(tag, str) and tag.startswith(("@", "not @", "~@")) for tag in table.get("tags", [])):
        problems.append("tags must be behave tag expressions (@name, not @name)")
    return problems


def _unknown_keys(table: dict[str, Any], required: Mapping[str, type], optional: Mapping[str, type]) -> list[str]:
    known = [*required, *optional]
    return [f"unknown key {key!r} (known: {', '.join(known)})" for key in table if key not in known]


def _wrong_fields(table: dict[str, Any], required: Mapping[str, type], optional: Mapping[str, type]) -> list[str]:
    """Missing keys and values of the wrong type."""
    problems = [f"missing {key!r}" for key in required if key not in table]
    return problems + [
        f"{key!r} must be {kind.__name__}, not {type(table[key]).__name__}"
        for key, kind in {**required, **optional}.items()
        if key in table and not isinstance(table[key], kind)
    ]


def _mutant(table: dict[str, Any]) -> Mutant:
    edits = tuple(Edit(edit["path"], edit["old"], edit["new"]) for edit in [table, *table.get("also", [])])
    options = Options(tuple(table.get("userdata", {}).items()), tuple(table.get("tags", [])), table.get("redis", False))
    return Mutant(table["name"], table["why"], edits, tuple(table["features"]), options)


def occurrences(edit: Edit, root: Path) -> int:
    return (root / edit.path).read_text(encoding="utf-8").count(edit.old)


def stale_edits(mutants: list[Mutant], root: Path = ROOT) -> list[str]:
    """One line per edit whose ``old`` text does not occur exactly once in its file under ``root``."""
    return [
        f"mutant {mutant.name}: {edit.old!r} occurs {count} times in {edit.path}, not exactly once"
        for mutant in mutants
        for edit in mutant.edits
        if (count := occurrences(edit, root)) != 1
    ]


def apply(mutant: Mutant, project: Path) -> None:
    """Make the mutant's edits in the copy of the project at ``project``."""
    if stale := stale_edits([mutant], project):
        raise CatalogueError("\n".join(stale))
    for edit in mutant.edits:
        path = project / edit.path
        path.write_text(path.read_text(encoding="utf-8").replace(edit.old, edit.new), encoding="utf-8")
