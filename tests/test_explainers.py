"""Explanation methods on a tiny random BERT: one record shape, determinism, and each method's
defining property (LIME equals lime called directly, SHAP adds up, integrated gradients is complete)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.errors import ModelError, ParameterError
from workbench.explainers import METHODS, explain
from workbench.explainers.study import explain_dataset, pick_documents, write_study
from workbench.cache import ExplanationCache
from workbench.data import load_dataset
from workbench.models import load_model
from workbench.tfidf import fit_tfidf_logreg, save_sklearn
from workbench.records import Dataset

from .conftest import TINY_LABELS, TINY_ROWS, write_csv

TEXTS = [t for t, _ in TINY_ROWS[:4]]


@pytest.fixture(scope="module")
def sharp(tiny_sharp_dir):
    return load_model(str(tiny_sharp_dir), device="cpu")


@pytest.fixture(scope="module")
def tfidf_dir(tmp_path_factory):
    texts, labels = zip(*TINY_ROWS)
    dataset = Dataset("tiny", tuple(map(str, range(len(texts)))), texts, labels, tuple(sorted(set(labels))))
    folder = tmp_path_factory.mktemp("tfidf")
    save_sklearn(fit_tfidf_logreg(dataset, seed=0), folder)
    return folder


class CountingModel:
    """A classifier that passes every call to ``inner`` and counts the texts it was asked for."""

    def __init__(self, inner):
        self.inner, self.texts = inner, 0
        self.ref, self.label_names, self.fingerprint = inner.ref, inner.label_names, inner.fingerprint

    def predict_proba(self, texts, *, progress=None):
        self.texts += len(texts)
        return self.inner.predict_proba(texts, progress=progress)


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_gives_one_score_per_word_toward_the_predicted_label(sharp, method):
    records = explain(sharp, TEXTS, method=method, num_samples=64, cache=False)
    proba = sharp.predict_proba(TEXTS)
    assert [r.id for r in records] == ["0", "1", "2", "3"]
    for record, text, p in zip(records, TEXTS, proba):
        assert record.method == method and record.model == sharp.ref
        assert record.words == tuple(text.split())
        assert len(record.scores) == len(record.words) and all(math.isfinite(s) for s in record.scores)
        assert record.target == TINY_LABELS[int(p.argmax())]
        assert record.output == pytest.approx(p.max(), abs=1e-5)  # batches differ: float rounding
        assert any(abs(s) > 1e-4 for s in record.scores)
        base = sharp.predict_proba([""])[0, TINY_LABELS.index(record.target)]
        assert record.base == pytest.approx(base, abs=1e-5)


def test_lime_equals_lime_called_directly(sharp):
    from lime.lime_text import LimeTextExplainer

    text = TEXTS[0]
    [record] = explain(sharp, [text], method="lime", seed=7, num_samples=300, cache=False)
    target = TINY_LABELS.index(record.target)
    direct = LimeTextExplainer(class_names=list(TINY_LABELS), random_state=7).explain_instance(
        text, sharp.predict_proba, labels=(target,), num_features=len(set(text.split())), num_samples=300
    )
    weights = {direct.domain_mapper.indexed_string.word(f): w for f, w in direct.as_map()[target]}
    np.testing.assert_allclose(record.scores, [weights[w] for w in record.words], atol=1e-6)
    assert record.scores[record.words.index("the")] == record.scores[len(record.words) - 1 - record.words[::-1].index("the")]


@pytest.mark.parametrize("text", [TEXTS[0], "goal", "the team, the goal; the win."])
def test_shap_scores_add_up_to_output_minus_base(sharp, text):
    [record] = explain(sharp, [text], method="shap", num_samples=200, cache=False)
    assert sum(record.scores) == pytest.approx(record.output - record.base, abs=1e-4)


def test_integrated_gradients_is_complete(sharp):
    import torch

    [record] = explain(sharp, [TEXTS[0]], method="integrated-gradients", num_samples=400, cache=False)
    encoded = sharp.tokenizer(TEXTS[0], return_tensors="pt", return_special_tokens_mask=True)
    special = encoded.pop("special_tokens_mask").bool()
    encoded["input_ids"] = torch.where(special, encoded["input_ids"], torch.full_like(encoded["input_ids"], sharp.tokenizer.pad_token_id))
    with torch.inference_mode():
        baseline = torch.softmax(sharp.model(**encoded).logits, -1)[0, TINY_LABELS.index(record.target)].item()
    assert sum(record.scores) == pytest.approx(record.output - baseline, abs=5e-3)


@pytest.mark.parametrize("method", ["lime", "shap"])
def test_the_seed_decides_stochastic_methods(sharp, method):
    first = explain(sharp, TEXTS, method=method, seed=1, num_samples=40, cache=False)
    again = explain(sharp, TEXTS, method=method, seed=1, num_samples=40, cache=False)
    assert [r.to_dict() for r in first] == [r.to_dict() for r in again]
    if method == "lime":
        other = explain(sharp, TEXTS, method=method, seed=2, num_samples=40, cache=False)
        assert [r.scores for r in other] != [r.scores for r in first]


def test_shap_leaves_the_global_random_state_alone(sharp):
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    explain(sharp, TEXTS[:1], method="shap", num_samples=40, cache=False)
    assert np.random.random() == expected


def test_explicit_targets_and_bad_targets(sharp):
    records = explain(sharp, TEXTS[:2], method="occlusion", target="tech", cache=False)
    assert [r.target for r in records] == ["tech", "tech"]
    with pytest.raises(ParameterError, match=r"target labels \['nope'\] are not the model's"):
        explain(sharp, TEXTS[:1], method="occlusion", target="nope", cache=False)
    with pytest.raises(ParameterError, match="unknown explanation method 'limes'; use one of: lime, shap"):
        explain(sharp, TEXTS[:1], method="limes")


def test_a_text_without_words_gets_an_empty_record(sharp):
    [record] = explain(sharp, ["... !"], method="lime", cache=False)
    assert record.words == () and record.scores == ()


def test_gradient_methods_need_a_network(tfidf_dir, tiny_sharp_dir):
    tfidf = load_model(str(tfidf_dir))
    for method in ("integrated-gradients", "gradient-x-input"):
        with pytest.raises(ModelError, match=f"method '{method}' needs gradients.*use lime, shap or occlusion"):
            explain(tfidf, TEXTS, method=method)
    with pytest.raises(ModelError, match="int8-quantized layers"):
        explain(load_model(str(tiny_sharp_dir), device="cpu", precision="int8"), TEXTS, method="integrated-gradients")
    for method in ("lime", "shap", "occlusion"):
        records = explain(tfidf, TEXTS, method=method, num_samples=50, cache=False)
        assert all(len(r.scores) == len(r.words) for r in records)


def test_the_cache_serves_identical_records_without_recomputing(sharp, tmp_path):
    cache = ExplanationCache(tmp_path)
    counting = CountingModel(sharp)
    fresh = explain(counting, TEXTS, method="lime", num_samples=50, cache=cache)
    spent = counting.texts
    cached = explain(counting, TEXTS, method="lime", num_samples=50, cache=cache, ids=["a", "b", "c", "d"])
    assert counting.texts - spent == len(TEXTS) + 1  # only output and base (one empty text), no LIME samples
    assert [r.scores for r in cached] == [r.scores for r in fresh] and [r.id for r in cached] == ["a", "b", "c", "d"]
    explain(counting, TEXTS, method="lime", num_samples=51, cache=cache)
    assert counting.texts - spent > 2 * 2 * len(TEXTS)  # another budget is another key


def test_pick_documents_spreads_over_the_dataset():
    dataset = load_dataset("bbc-news:validation")
    rows = pick_documents(dataset, 5)
    assert rows == [0, 44, 88, 133, 177] and len({dataset.labels[i] for i in rows}) == 5
    with pytest.raises(ParameterError, match="n must be at least 1"):
        pick_documents(dataset, 0)


def test_a_study_is_byte_identical_when_rerun(sharp, tmp_path):
    data = load_dataset(str(write_csv(tmp_path / "d.csv", TINY_ROWS)))
    options = {"methods": ["lime", "shap", "occlusion"], "n": 4, "num_samples": 40, "cache": False}
    first = write_study(tmp_path / "a", explain_dataset(sharp, data, seed=3, **options))
    second = write_study(tmp_path / "b", explain_dataset(sharp, data, seed=3, **options))
    for name in ("attributions.jsonl", "faithfulness.json", "index.html"):
        assert first[name].read_bytes() == second[name].read_bytes()
    lines = first["attributions.jsonl"].read_text().splitlines()
    assert len(lines) == 4 * 3
    summary = explain_dataset(sharp, data, seed=3, **options).summary
    assert set(summary["faithfulness"]) == {"lime", "shap", "occlusion"}
    assert [(p["a"], p["b"]) for p in summary["agreement"]] == [("lime", "shap"), ("lime", "occlusion"), ("shap", "occlusion")]
    assert summary["stability"]["occlusion"]["seeds"] == "deterministic"
    assert summary["stability"]["lime"]["seeds"] == "3, 4" and -1 <= summary["stability"]["lime"]["spearman"] <= 1
