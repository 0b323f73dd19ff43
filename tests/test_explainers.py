"""Explanation methods on a tiny random BERT: one record shape, determinism, each method's
defining property (LIME equals lime called directly, SHAP adds up, integrated gradients is
complete and says how close), and the rule that every method explains what the model read."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.errors import ModelError, ParameterError
from workbench.explainers import METHODS, explain
from workbench.studies.explanation import explain_dataset, pick_documents, write_study
from workbench.explainers.cache import ExplanationCache
from workbench.datasets import load_dataset
from workbench.models import load_model
from workbench.demos.build import fit_tfidf_logreg
from workbench.models.scikit_learn import save_sklearn
from workbench.records import Dataset
from workbench.words import split_words, whole_text

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
    """A classifier that passes every call to ``inner`` and counts (and keeps) the texts it was asked for."""

    def __init__(self, inner):
        self.inner, self.texts, self.seen = inner, 0, []
        self.ref, self.label_names, self.fingerprint = inner.ref, inner.label_names, inner.fingerprint
        self.backend = inner.backend

    def predict_proba(self, texts, *, progress=None):
        self.texts += len(texts)
        self.seen += list(texts)
        return self.inner.predict_proba(texts, progress=progress)

    def reading(self, text):
        return self.inner.reading(text)


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
    """lime's own explainer, configured as the workbench documents: word positions, a blank mask."""
    from lime.lime_text import LimeTextExplainer

    text = "the bank, the market and the team"
    [record] = explain(sharp, [text], method="lime", seed=7, num_samples=300, cache=False)
    target = TINY_LABELS.index(record.target)
    direct = LimeTextExplainer(class_names=list(TINY_LABELS), random_state=7, bow=False, split_expression=split_words, mask_string=" ").explain_instance(
        text, lambda texts: sharp.predict_proba([whole_text(t) for t in texts]), labels=(target,), num_features=len(split_words(text)), num_samples=300
    )
    weights = dict(direct.as_map()[target])
    np.testing.assert_allclose(record.scores, [weights[i] for i in range(len(record.words))], atol=1e-6)
    assert record.words[2] == "," and record.params["features"] == "word positions"


@pytest.mark.parametrize("text", [TEXTS[0], "goal", "the team, the goal; the win."])
def test_shap_scores_add_up_to_output_minus_base(sharp, text):
    [record] = explain(sharp, [text], method="shap", num_samples=200, cache=False)
    assert sum(record.scores) == pytest.approx(record.output - record.base, abs=1e-4)


def pad_baseline_output(model, text: str, target: str) -> float:
    import torch

    encoded = model.tokenizer(text, return_tensors="pt", return_special_tokens_mask=True)
    special = encoded.pop("special_tokens_mask").bool()
    encoded["input_ids"] = torch.where(special, encoded["input_ids"], torch.full_like(encoded["input_ids"], model.tokenizer.pad_token_id))
    with torch.inference_mode():
        return torch.softmax(model.model(**encoded).logits, -1)[0, TINY_LABELS.index(target)].item()


def test_integrated_gradients_is_complete_and_states_its_error(sharp):
    [record] = explain(sharp, [TEXTS[0]], method="integrated-gradients", num_samples=400, cache=False)
    gap = record.output - pad_baseline_output(sharp, TEXTS[0], record.target)
    d = record.diagnostics
    assert d["gap"] == pytest.approx(gap, abs=1e-5) and d["steps"] == 400 and d["converged"]
    assert sum(record.scores) - gap == pytest.approx(d["convergence_delta"], abs=1e-4)
    assert d["relative_error"] == pytest.approx(abs(d["convergence_delta"]) / abs(d["gap"])) and d["relative_error"] <= d["tolerance"] == 0.05


def test_integrated_gradients_doubles_its_steps_until_the_error_is_under_the_tolerance(sharp):
    text = TEXTS[1]
    [few] = explain(sharp, [text], method="integrated-gradients", num_samples=2, cache=False)
    intervals = few.diagnostics["steps"] - 1  # the rule's points: 2, 3, 5, 9 ... as its intervals double from 1
    assert intervals > 1 and intervals & (intervals - 1) == 0
    assert few.diagnostics["converged"] and few.diagnostics["relative_error"] <= 0.05
    fewer = explain(sharp, [text], method="integrated-gradients", num_samples=intervals // 2 + 1, cache=False)[0]
    assert fewer.diagnostics["steps"] == few.diagnostics["steps"]  # the same doubling ends at the same step count
    # on the same points, batched otherwise (fp32 rounding)
    np.testing.assert_allclose(fewer.scores, few.scores, atol=1e-7)


def test_clenshaw_curtis_rules_are_exact_on_polynomials_and_nest_when_doubled():
    from workbench.explainers.gradients import clenshaw_curtis

    for intervals in (1, 2, 3, 8, 49):
        nodes, weights = clenshaw_curtis(intervals)
        assert nodes[0] == 0 and nodes[-1] == 1 and np.all(np.diff(nodes) > 0) and np.all(weights > 0)
        for degree in range(intervals + 1):  # exact up to the degree of its interpolating polynomial
            assert weights @ nodes**degree == pytest.approx(1 / (degree + 1), abs=1e-13)
        doubled = clenshaw_curtis(2 * intervals)[0]
        assert np.array_equal(doubled[::2], nodes)  # bit for bit: the doubled rule reuses every point
    nodes, weights = clenshaw_curtis(16)
    assert weights @ np.exp(nodes) == pytest.approx(math.e - 1, abs=1e-15)  # smooth integrands: spectral accuracy


def test_integrated_gradients_evaluate_each_point_once_and_agree_with_captum(sharp):
    """The nested rule against Captum's ``LayerIntegratedGradients`` (Gauss-Legendre) on the same function: at 257
    points and 256 steps both integrate to well under the scores' size; and a doubling from 2 points to 2**k + 1
    runs the network on 2**k + 1 rows with gradients, not 2 + 3 + 5 + ... as a rule that does not nest would."""
    import torch
    from captum.attr import LayerIntegratedGradients

    text, network = TEXTS[0], sharp.model
    [fine] = explain(sharp, [text], method="integrated-gradients", num_samples=257, cache=False)
    encoded = sharp.tokenizer(text, return_tensors="pt", return_special_tokens_mask=True)
    special = encoded.pop("special_tokens_mask").bool()
    ids = encoded["input_ids"]
    baseline = torch.where(special, ids, torch.full_like(ids, sharp.tokenizer.pad_token_id))
    target = sharp.label_names.index(fine.target)

    def proba(ids, attention_mask, token_type_ids):
        logits = network(input_ids=ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits
        return torch.softmax(logits, -1)[:, target]

    method = LayerIntegratedGradients(proba, network.get_input_embeddings())
    tokens = method.attribute(ids, baselines=baseline, n_steps=256,
                              additional_forward_args=(encoded["attention_mask"], encoded["token_type_ids"]))
    tokens = tokens.sum(-1)[0].detach().numpy()
    words = np.zeros(len(fine.scores))  # tokens into words: this tiny vocabulary has one token per word
    words[:] = tokens[1:-1] if len(tokens) - 2 == len(words) else pytest.skip("a word split into several tokens")
    np.testing.assert_allclose(fine.scores, words, atol=1e-6)

    rows = []
    hook = network.register_forward_pre_hook(lambda m, a, k: rows.append(len(k["inputs_embeds"])), with_kwargs=True)
    try:
        [few] = explain(sharp, [TEXTS[1]], method="integrated-gradients", num_samples=2, cache=False)
    finally:
        hook.remove()
    assert few.diagnostics["steps"] >= 5 and sum(rows) == few.diagnostics["steps"]


def test_the_seed_decides_lime_and_not_the_deterministic_methods(sharp):
    first = explain(sharp, TEXTS, method="lime", seed=1, num_samples=40, cache=False)
    again = explain(sharp, TEXTS, method="lime", seed=1, num_samples=40, cache=False)
    assert [r.to_dict() for r in first] == [r.to_dict() for r in again]
    other = explain(sharp, TEXTS, method="lime", seed=2, num_samples=40, cache=False)
    assert [r.scores for r in other] != [r.scores for r in first]
    shap_runs = [explain(sharp, TEXTS, method="shap", seed=seed, num_samples=40, cache=False) for seed in (1, 2)]
    assert [r.to_dict() for r in shap_runs[0]] == [r.to_dict() for r in shap_runs[1]]
    assert shap_runs[0][0].params["seed"] is None


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
    [record] = explain(sharp, [" \n "], method="lime", cache=False)
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
    study = explain_dataset(sharp, data, seed=3, **options)
    assert set(study.faithfulness) == {"lime", "shap", "occlusion"}
    assert [(p.a, p.b) for p in study.agreement] == [("lime", "shap"), ("lime", "occlusion"), ("shap", "occlusion")]
    assert study.stability["occlusion"].seeds == "deterministic"
    assert study.stability["lime"].seeds == "3, 4" and -1 <= study.stability["lime"].spearman <= 1


LONG = " ".join(["the bank said profit and shares rose in the market ,"] * 3 + ["computer chip software internet online phone"])
TAIL = ("computer", "chip", "software", "internet", "online", "phone")


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_explains_only_what_the_model_read(sharp, method):
    """The tiny model reads 22 tokens; the tail words must get no score and appear in no evaluated text."""
    gradients = method in ("integrated-gradients", "gradient-x-input")  # they run the network itself, not predict_proba
    counting = CountingModel(sharp)
    [record] = explain(sharp if gradients else counting, [LONG], method=method, num_samples=64, cache=False)
    reading = sharp.reading(LONG)
    assert reading.mode == "truncate" and 0 < record.visible == reading.visible < len(record.words)
    assert record.reading == {"mode": "truncate", "max_tokens": 24, "visible": record.visible, "words": len(record.words)}
    assert len(sharp.tokenizer(reading.read_text)["input_ids"]) <= 24
    assert not set(TAIL) & set(record.words[: record.visible])
    assert gradients or counting.seen and not any(word in text for text in counting.seen for word in TAIL)
    assert record.to_dict()["visible"] == record.visible
    # explaining the long text is explaining what the model read of it
    [prefix] = explain(sharp, [reading.read_text], method=method, num_samples=64, cache=False)
    np.testing.assert_allclose(record.scores, prefix.scores, atol=1e-5)
    assert record.output == pytest.approx(sharp.predict_proba([LONG])[0].max(), abs=1e-6)


def test_faithfulness_of_a_long_text_deletes_only_words_the_model_read(sharp):
    from workbench.statistics.faithfulness import score_faithfulness

    [record] = explain(sharp, [LONG], method="occlusion", cache=False)
    counting = CountingModel(sharp)
    result = score_faithfulness(counting, [record], [LONG], seed=0)
    assert result.documents[0]["words"] == record.visible
    assert counting.seen and not any(word in text for text in counting.seen for word in TAIL)


def test_windows_are_explained_one_by_one_and_averaged_like_the_prediction(tiny_sharp_dir):
    windowed = load_model(str(tiny_sharp_dir), device="cpu", long_text="window", stride=4)
    reading = windowed.reading(LONG)
    assert reading.mode == "window" and len(reading.spans) >= 2 and reading.visible == len(split_words(LONG))
    [record] = explain(windowed, [LONG], method="shap", num_samples=200, cache=False)
    assert record.visible == len(record.words) and record.reading["combine"].startswith("mean")
    assert [tuple(w) for w in record.reading["windows"]] == [(int(i[0]), int(i[-1]) + 1) for _, i in reading.units()]
    expected = np.zeros(len(record.words))
    for unit, index in reading.units():
        [part] = explain(windowed, [unit], method="shap", target=record.target, num_samples=200, cache=False)
        expected[index] += np.asarray(part.scores) / len(reading.spans)
    np.testing.assert_allclose(record.scores, expected, atol=1e-6)
    assert sum(record.scores) == pytest.approx(record.output - record.base, abs=1e-4)  # additive across windows too
    assert record.output == pytest.approx(windowed.predict_proba([LONG])[0, TINY_LABELS.index(record.target)], abs=0.02)
    [ig] = explain(windowed, [LONG], method="integrated-gradients", num_samples=64, cache=False)
    assert ig.diagnostics["steps"] >= 64 and abs(sum(ig.scores) - ig.diagnostics["gap"] - ig.diagnostics["convergence_delta"]) < 1e-4


def test_a_symbol_token_is_the_symbols_not_the_word_before_it(sharp):
    """Gradient x input per token, from Captum directly: the '$' token's score is '$''s, 'for''s stays its own."""
    import torch
    from captum.attr import LayerGradientXActivation

    text = "the bank for $ profit"
    [record] = explain(sharp, [text], method="gradient-x-input", cache=False)
    assert record.words == ("the", "bank", "for", "$", "profit")
    encoded = sharp.tokenizer(text, return_tensors="pt")
    target = TINY_LABELS.index(record.target)

    def forward(ids, mask, types):
        return torch.softmax(sharp.model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits, -1)[:, target]

    tokens = LayerGradientXActivation(forward, sharp.model.get_input_embeddings()).attribute(
        encoded["input_ids"], additional_forward_args=(encoded["attention_mask"], encoded["token_type_ids"])
    ).sum(-1)[0]
    np.testing.assert_allclose(record.scores, tokens[1:-1].detach().numpy(), atol=1e-6)  # one token per word here, [CLS] and [SEP] dropped
