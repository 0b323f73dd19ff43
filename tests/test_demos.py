"""Demo-model cache: built once, kept while the recipe holds, rebuilt when it changes."""

from __future__ import annotations

import dataclasses
import json

import pytest

from workbench.demos import build
from workbench.models import demos
from workbench.errors import ModelError


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_unbuilt_demo_says_how_to_build_it(home):
    built = "demo model 'tfidf-logreg' is not built; build it with `workbench models build-demo tfidf-logreg`"
    with pytest.raises(ModelError, match=built):
        demos.demo_folder("tfidf-logreg")


def test_recipe_hash_follows_the_recipe():
    recipe = demos.DEMOS["minilm-bbc"]
    changed = dataclasses.replace(recipe, finetune=dataclasses.replace(recipe.finetune, epochs=3))
    assert demos.recipe_hash(recipe) == demos.recipe_hash(demos.DEMOS["minilm-bbc"])
    assert demos.recipe_hash(recipe) != demos.recipe_hash(changed)


def test_build_is_cached_and_stale_recipes_rebuild(home):
    info = build.build_demo("tfidf-logreg", progress=False)
    folder = demos.demo_folder("tfidf-logreg")
    assert folder == home / "models" / "tfidf-logreg"
    assert sorted(p.name for p in folder.iterdir()) == ["model.skops", "recipe.json", "workbench-model.json"]
    assert info["validation_accuracy"] > 0.9
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temporary folders left
    stamp = (folder / "model.skops").stat().st_mtime_ns
    assert build.build_demo("tfidf-logreg") == info
    assert (folder / "model.skops").stat().st_mtime_ns == stamp
    recipe = json.loads((folder / "recipe.json").read_text())
    (folder / "recipe.json").write_text(json.dumps({**recipe, "hash": "old"}))
    assert not demos.is_current("tfidf-logreg")
    with pytest.raises(ModelError, match="is out of date"):
        demos.demo_folder("tfidf-logreg")
    build.build_demo("tfidf-logreg", progress=False)
    assert demos.is_current("tfidf-logreg")
