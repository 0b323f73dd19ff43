"""Contrastive explanations: why a classifier says label A rather than label B, with every method.

On the tiny seeded BERT with large weights (``tiny_sharp_dir``), whose every word moves its output, and on the tiny
Llama classifying through its prompt; the explained function is log p(A) − log p(B), checked against the model's own
probabilities.
"""

from __future__ import annotations

import numpy as np
import pytest

import workbench as wb
from .conftest import TINY_ROWS
from workbench.errors import ParameterError
from workbench.explainers.contrast import Contrast
from workbench.render.pages import attribution_meta
from workbench.words import mask_words, split_words

TEXTS = [text for text, _ in TINY_ROWS[:3]]


@pytest.fixture(scope="module")
def sharp(tiny_sharp_dir):
    return wb.load_model(str(tiny_sharp_dir))


def log_odds(model, texts, a: str, b: str) -> np.ndarray:
    proba = model.predict_proba(list(texts))
    return np.log(proba[:, model.label_names.index(a)]) - np.log(proba[:, model.label_names.index(b)])


def test_occlusion_against_a_contrast_is_the_drop_in_log_odds(sharp):
    records = wb.explain(sharp, TEXTS, method="occlusion", contrast="tech", target="business", cache=False)
    for record, text in zip(records, TEXTS):
        assert (record.target, record.contrast) == ("business", "tech")
        # abs 1e-5: fp32 logits move in their last digits with the batch a text shares
        assert record.output == pytest.approx(log_odds(sharp, [text], "business", "tech")[0], abs=1e-5)
        words = split_words(text)
        masked = [mask_words(text, [j != k for j in range(len(words))]) for k in range(len(words))]
        expected = record.output - log_odds(sharp, masked, "business", "tech")
        assert np.allclose(record.scores, expected, atol=1e-5)


def test_every_method_explains_the_contrast_and_integrated_gradients_stays_complete(sharp):
    for method in ("lime", "shap", "gradient-x-input"):
        [record] = wb.explain(sharp, TEXTS[:1], method=method, contrast="sports", num_samples=40, cache=False)
        assert record.contrast == "sports" and record.target != "sports" and np.isfinite(record.scores).all()
    [record] = wb.explain(sharp, TEXTS[:1], method="integrated-gradients", contrast="sports", cache=False)
    checks = record.diagnostics  # IG's completeness holds for the log-odds: the scores add up to f(text) - f(baseline)
    assert checks["converged"] and abs(sum(record.scores) - checks["gap"]) <= 0.05 * max(abs(checks["gap"]), 0.01)


def test_the_predicted_label_is_the_default_target_and_each_text_may_have_its_own_contrast(sharp):
    predicted = [sharp.label_names[i] for i in sharp.predict_proba(TEXTS).argmax(axis=1)]
    foils = [next(label for label in sharp.label_names if label != p) for p in predicted]
    records = wb.explain(sharp, TEXTS, method="occlusion", contrast=foils, cache=False)
    assert [r.target for r in records] == predicted and [r.contrast for r in records] == foils
    assert [r.id for r in records] == ["0", "1", "2"]
    plain = wb.explain(sharp, TEXTS[:1], method="occlusion", cache=False)[0]
    assert "contrast" not in plain.to_dict() and records[0].to_dict()["contrast"] == foils[0]
    assert f"rather than {foils[0]}" in str(attribution_meta(records[0]))
    assert wb.Attribution.from_dict(records[0].to_dict()) == records[0]


def test_a_cached_contrast_is_kept_apart_from_the_plain_explanation(sharp, tmp_path):
    from workbench.explainers.cache import ExplanationCache

    cache = ExplanationCache(tmp_path / "cache")
    plain = wb.explain(sharp, TEXTS[:1], method="occlusion", target="business", cache=cache)[0]
    against = wb.explain(sharp, TEXTS[:1], method="occlusion", target="business", contrast="tech", cache=cache)[0]
    again = wb.explain(sharp, TEXTS[:1], method="occlusion", target="business", contrast="tech", cache=cache)[0]
    assert plain.scores != against.scores and again == against


@pytest.mark.parametrize(
    "contrast,target,message",
    [
        ("finance", None, "contrast label 'finance' is not the model's"),
        ("business", "business", "the contrast label is the target 'business'"),
        (["tech"], None, "1 contrast labels for 3 texts"),
    ],
)
def test_a_bad_contrast_is_one_line(sharp, contrast, target, message):
    with pytest.raises(ParameterError, match=message):
        wb.explain(sharp, TEXTS, method="occlusion", contrast=contrast, target=target, cache=False)


def test_a_prompted_llm_explains_a_label_rather_than_another(tiny_llama):
    classifier = wb.load_model(str(tiny_llama), task="classification")
    [record] = wb.explain(classifier, TEXTS[:1], method="occlusion", target="tech", contrast="sports", cache=False)
    view = Contrast(classifier, "tech", "sports")
    assert record.output == pytest.approx(float(view.predict_proba(TEXTS[:1])[0, 0]), abs=1e-5)
    assert len(record.scores) == len(split_words(TEXTS[0]))  # the document's words only, not the template's


def test_gradients_reach_a_prompted_llm_through_the_documents_tokens_only(tiny_llama):
    """Integrated gradients on the tiny Llama's prompt embeddings, the template's tokens kept: complete against the
    classifier's own cached scorer, which reads the prompt with the document's tokens replaced by padding."""
    classifier = wb.load_model(str(tiny_llama), task="classification")
    [record] = wb.explain(
        classifier, TEXTS[:1], method="integrated-gradients", target="tech", contrast="sports", cache=False
    )
    prompt, start, end = classifier.renderer.document_span(TEXTS[0])
    assert prompt[start:end] == TEXTS[0] and len(record.scores) == len(split_words(TEXTS[0]))
    encoded = classifier.lm.tokenizer(prompt, add_special_tokens=False, return_offsets_mapping=True)
    inside = [start <= a and b <= end for a, b in encoded["offset_mapping"]]
    baseline = [classifier.lm.pad_id if k else t for t, k in zip(encoded["input_ids"], inside)]
    scores = np.array(classifier._score([encoded["input_ids"], baseline]))
    logp = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    a, b = classifier.label_names.index("tech"), classifier.label_names.index("sports")
    gap = (logp[0, a] - logp[0, b]) - (logp[1, a] - logp[1, b])
    assert record.diagnostics["gap"] == pytest.approx(gap, abs=1e-4) and record.diagnostics["converged"]
    assert sum(record.scores) == pytest.approx(gap, rel=0.05)
    [plain] = wb.explain(classifier, TEXTS[:1], method="gradient-x-input", cache=False)
    assert len(plain.scores) == len(split_words(TEXTS[0])) and plain.contrast is None
