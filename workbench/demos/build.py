"""Build the demo models offline from PyPI packages; an interrupted build leaves nothing behind.

A build writes into a temporary folder beside the final one and renames it into place, with a
``recipe.json`` holding the recipe's hash (``models.demos.recipe_hash``), the build time and the
validation accuracy.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from ..datasets.loading import load_dataset
from ..io import write_json
from ..records import Dataset
from ..models.demos import RECIPE_FILE, base_model_folder, folder, gguf_file, is_current, recipe, recipe_hash


def fit_tfidf_logreg(dataset: Dataset, *, seed: int = 0, c: float = 10.0, max_features: int | None = None):  # -> Pipeline
    """Fit TF-IDF (word 1-2 grams, sublinear tf) + logistic regression on a labeled dataset."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    pipeline = make_pipeline(
        TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2, max_features=max_features),
        LogisticRegression(C=c, max_iter=2000, random_state=seed),
    )
    return pipeline.fit(list(dataset.texts), list(dataset.labels))


def build_demo(name: str, *, force: bool = False, progress: bool = True) -> dict:
    """Build demo ``name`` unless it is current; return its recipe.json content."""
    spec = recipe(name)
    final = folder(name)
    if is_current(name) and not force:
        return json.loads((final / RECIPE_FILE).read_text())
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=final.parent))
    try:
        start = time.perf_counter()
        train = load_dataset(spec.train)
        origin: dict = {}
        if spec.kind == "gguf-llm":
            from .gguf import dequantize_gguf

            origin = dequantize_gguf(gguf_file(), tmp, spec.prompts)
        elif spec.kind == "tfidf":
            from ..models.scikit_learn import save_sklearn

            save_sklearn(fit_tfidf_logreg(train, seed=0), tmp)
        elif spec.kind == "lexical-qa":
            from ..models.lexical_qa import save_lexical_qa

            save_lexical_qa(tmp)
        elif spec.kind == "lead-sentence":
            from ..models.lead_sentence import save_lead_sentence

            save_lead_sentence(tmp)
        elif spec.kind == "transformer-generation":
            from .finetune import finetune_headlines

            finetune_headlines(base_model_folder(), train, tmp, spec.finetune, name=f"demo:{name}", progress=progress)
        elif spec.kind == "transformer-qa":
            from .finetune import finetune_qa

            finetune_qa(base_model_folder(), train, tmp, spec.finetune, name=f"demo:{name}", progress=progress)
        else:
            from .finetune import finetune

            finetune(base_model_folder(), train, tmp, spec.finetune, name=f"demo:{name}", progress=progress)
        write_json(tmp / RECIPE_FILE, {
            "name": name,
            "hash": recipe_hash(spec),
            "recipe": asdict(spec),
            "build_seconds": round(time.perf_counter() - start, 1),
            **origin,
            **_validation_score(tmp, *spec.train.split(":")[:2]),
        })
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return json.loads((final / RECIPE_FILE).read_text())


def _validation_score(path: Path, dataset: str, trained_on: str) -> dict[str, float]:
    """The built model's headline on the validation split (the test split for a model trained on the validation split,
    a membership reference): accuracy for a classifier, exact match for question answering, ROUGE-1 for generation."""
    from ..models import load_model

    split = "test" if trained_on == "validation" else "validation"
    held_out = load_dataset(f"{dataset}:{split}")
    model = load_model(str(path), task=held_out.task)  # an LLM's folder serves the task through its prompt
    if model.task == "generation":
        from ..statistics.generation_metrics import compute_generation_metrics
        from ..studies.generation_prediction import predict_generations

        generations = predict_generations(model, held_out, progress=False)
        return {f"{split}_rouge1": round(compute_generation_metrics(generations).rouge1, 4)}
    if model.task == "question-answering":
        from ..statistics.qa_metrics import compute_qa_metrics
        from ..studies.qa_prediction import predict_qa

        answers = predict_qa(model, held_out, progress=False)
        return {f"{split}_exact_match": round(compute_qa_metrics(answers).exact_match, 2)}
    from ..studies.evaluation import evaluate

    return {f"{split}_accuracy": round(evaluate(model, held_out).accuracy, 4)}
