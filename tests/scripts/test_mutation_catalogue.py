"""The mutation catalogue (scripts/mutants.toml) keeps applying to the code as it is: every mutant's
`old` text occurs exactly once in the file it names, its features exist, its name is its own. When code
a mutant matches is reformatted or changed, this fails and names the mutant to update; `make mutants`
would otherwise stop at that mutant an hour into its run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _import_catalogue_module():
    spec = importlib.util.spec_from_file_location("mutation_catalogue", SCRIPTS / "mutation_catalogue.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


catalogue = _import_catalogue_module()
MUTANTS = catalogue.load()


def test_the_catalogue_has_every_group_of_mutants():
    assert len(MUTANTS) > 80
    assert len({mutant.name for mutant in MUTANTS}) == len(MUTANTS)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda mutant: mutant.name)
def test_every_old_text_occurs_exactly_once_in_its_file(mutant):
    assert catalogue.stale_edits([mutant]) == []


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda mutant: mutant.name)
def test_every_feature_a_mutant_names_exists(mutant):
    missing = [f for f in mutant.features if not (SCRIPTS.parent / "features" / f"{f}.feature").is_file()]
    assert missing == []


# -- the checks themselves can fail ------------------------------------------------------------------

GOOD = """
[[mutant]]
name = "answer-changed"
why = "the answer changes"
path = "app.py"
old = 'answer = 42'
new = 'answer = 41'
features = ["shop"]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "shop.feature").write_text("Feature: shop\n")
    (tmp_path / "app.py").write_text("answer = 42\n")
    return tmp_path


def _load(project: Path, text: str):
    (project / "mutants.toml").write_text(text)
    return catalogue.load(project / "mutants.toml", project)


def test_a_good_catalogue_loads_and_applies(project):
    [mutant] = _load(project, GOOD)
    catalogue.apply(mutant, project)
    assert (project / "app.py").read_text() == "answer = 41\n"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (('features = ["shop"]', 'features = ["shop"]\ncolour = "red"'), "unknown key 'colour'"),
        (('why = "the answer changes"\n', ""), "missing 'why'"),
        (('features = ["shop"]', 'features = ["till"]'), "features/till.feature does not exist"),
        (('path = "app.py"', 'path = "nowhere.py"'), "nowhere.py is not a file of the project"),
        (('features = ["shop"]', 'features = "shop"'), "'features' must be list, not str"),
        (('name = "answer-changed"', 'name = "Answer changed"'), "lowercase words joined by dashes"),
    ],
)
def test_a_broken_table_is_refused_with_its_problem_named(project, change, complaint):
    with pytest.raises(catalogue.CatalogueError, match=complaint):
        _load(project, GOOD.replace(*change))


def test_a_name_given_twice_is_refused(project):
    with pytest.raises(catalogue.CatalogueError, match="answer-changed.*the name is given twice"):
        _load(project, GOOD + GOOD)


def test_an_old_text_that_no_longer_matches_is_named(project):
    [mutant] = _load(project, GOOD)
    (project / "app.py").write_text("answer = 40 + 2\n")
    assert catalogue.stale_edits([mutant], project) == [
        "mutant answer-changed: 'answer = 42' occurs 0 times in app.py, not exactly once"
    ]
    with pytest.raises(catalogue.CatalogueError, match="occurs 0 times"):
        catalogue.apply(mutant, project)
