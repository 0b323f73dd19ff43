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


def test_the_runner_up_is_each_texts_next_most_probable_label_other_than_its_target(sharp):
    proba = sharp.predict_proba(TEXTS)
    ranked = [[sharp.label_names[i] for i in np.argsort(-row)] for row in proba]
    records = wb.explain(sharp, TEXTS, method="occlusion", contrast="runner-up", cache=False)
    assert [(r.target, r.contrast) for r in records] == [(order[0], order[1]) for order in ranked]
    given = wb.explain(sharp, TEXTS, method="occlusion", target="business", contrast="runner-up", cache=False)
    assert [r.contrast for r in given] == [next(label for label in order if label != "business") for order in ranked]


def test_a_runner_up_study_scores_its_deletions_on_the_log_ratio_and_says_so(sharp, tiny_csv, tmp_path):
    from workbench.statistics.faithfulness import RATIONALE_FRACTION, rationale_size, top_words

    study = wb.explain_dataset(sharp, str(tiny_csv), methods=["occlusion", "lime"], n=4, num_samples=40,
                               stability_seeds=0, contrast="runner-up", cache=False)
    assert study.to_dict()["contrast"] == "runner-up" and study.faithfulness["lime"].n == 4
    for record, document in zip(study.attributions["occlusion"], study.faithfulness["occlusion"].documents):
        text = study.texts[study.ids.index(record.id)]
        top = set(top_words(record.scores, rationale_size(record.visible, RATIONALE_FRACTION)).tolist())
        deleted = mask_words(text, [j not in top for j in range(len(record.words))])
        expected = record.output - log_odds(sharp, [deleted], record.target, record.contrast)[0]
        assert document["comprehensiveness"] == pytest.approx(expected, abs=1e-5)
    page = study.write(tmp_path / "study")["index.html"].read_text()
    assert "log p(target) − log p(runner-up)" in page and "rather than" in page
    plain = wb.explain_dataset(sharp, str(tiny_csv), methods=["occlusion"], n=2, stability_seeds=0, cache=False)
    assert "contrast" not in plain.to_dict()
    with pytest.raises(ParameterError, match="^a study's contrast is 'runner-up' .*, not 'tech'"):
        wb.explain_dataset(sharp, str(tiny_csv), methods=["occlusion"], n=2, contrast="tech")


def test_the_command_line_explains_against_the_runner_up(cli, tiny_sharp_dir, tiny_csv, tmp_path):
    import json

    out = tmp_path / "runner-up"
    result = cli("explain", "--model", tiny_sharp_dir, "--data", tiny_csv, "--method", "occlusion", "--n", "3",
                 "--contrast", "runner-up", "--out", out)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "faithfulness.json").read_text())["contrast"] == "runner-up"
    lines = [json.loads(line) for line in (out / "attributions.jsonl").read_text().splitlines()]
    assert len(lines) == 3 and all(line["contrast"] not in (None, line["target"]) for line in lines)
    result = cli("explain", "--model", tiny_sharp_dir, "--data", tiny_csv, "--method", "occlusion",
                 "--contrast", "tech", "--out", tmp_path / "bad")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "a study's contrast is 'runner-up'" in result.stderr and not (tmp_path / "bad").exists()


# Generation: why this token rather than that one. The tiny generators' outputs and their distributions come from
# transformers' own greedy ``generate`` (output_scores), independent of the teacher-forced path the explainers read.
GENERATION_SOURCE = "the team won the match with a late goal and the player said the season is new"


def greedy_distributions(generator, source: str, steps: int) -> tuple[list[int], np.ndarray]:
    """transformers' greedy output of ``source`` and the float64 log-softmax of each step's scores."""
    import torch

    encoded = generator.tokenizer([source], return_tensors="pt", truncation=True, max_length=generator.max_length)
    output = generator.model.generate(
        input_ids=encoded["input_ids"],
        attention_mask=encoded["attention_mask"],
        max_new_tokens=steps,
        output_scores=True,
        return_dict_in_generate=True,
        pad_token_id=generator.pad_id,
    )
    width = 0 if generator.encoder_decoder else encoded["input_ids"].shape[1]
    ids = generator.new_tokens(output.sequences[0].tolist(), width)
    return ids, np.array([torch.log_softmax(score[0].double(), -1).numpy() for score in output.scores[: len(ids)]])


@pytest.mark.parametrize("name", ["t5", "gpt2"])
def test_a_token_against_its_runner_up_is_the_log_ratio_and_occlusion_its_drop(tiny_generators, name):
    from workbench.explainers.generation import token_explainer
    from workbench.records.generation import GenerationSettings

    generator = wb.load_model(str(tiny_generators[name]), device="cpu")
    settings = GenerationSettings(max_new_tokens=4)
    ids, log_p = greedy_distributions(generator, GENERATION_SOURCE, 4)
    record = token_explainer("occlusion", generator, settings=settings).explain(
        "d", GENERATION_SOURCE, contrast="runner-up"
    )
    assert list(record.generated_ids) == ids and len(ids) >= 2
    steps = np.arange(len(ids))
    ranked = np.argsort(-log_p, axis=1, kind="stable")
    assert list(record.contrast_ids) == [int(r[1] if r[0] == token else r[0]) for r, token in zip(ranked, ids)]
    assert record.contrast == tuple(generator.tokenizer.convert_ids_to_tokens(list(record.contrast_ids)))
    # abs 1e-5: generate reads the prompt alone, the explainer teacher-forces it, so fp32 sums in other orders
    assert record.log_ratios == pytest.approx(log_p[steps, ids] - log_p[steps, list(record.contrast_ids)], abs=1e-5)
    assert all(v > 0 for v in record.log_ratios)  # greedy picked each token, so it beats the runner-up
    # each score is the drop in the log-ratio when its word is deleted, read here from two softmax probabilities
    words = split_words(GENERATION_SOURCE)
    for j in (0, len(record.source_words) - 1):
        masked = [mask_words(GENERATION_SOURCE, [k != j for k in range(len(words))])]
        token = np.log(generator.token_probabilities(masked, ids)[0])
        foil = np.log(generator.token_probabilities(masked, list(record.contrast_ids), fed=[ids])[0])
        assert [row[j] for row in record.scores] == pytest.approx(
            np.array(record.log_ratios) - (token - foil), abs=1e-6
        )
    line = record.to_dict()
    assert (
        list(line["contrast_ids"]) == list(record.contrast_ids)
        and "contrast"
        not in token_explainer("occlusion", generator, settings=settings).explain("d", GENERATION_SOURCE).to_dict()
    )


@pytest.mark.parametrize("name", ["t5", "gpt2"])
def test_integrated_gradients_against_a_contrast_output_are_complete_and_rerun_byte_identical(tiny_generators, name):
    from workbench.explainers.generation import token_explainer
    from workbench.io import dumps_json
    from workbench.records.generation import GenerationSettings

    generator = wb.load_model(str(tiny_generators[name]), device="cpu")
    settings = GenerationSettings(max_new_tokens=3)
    ids = generator.generate_ids([GENERATION_SOURCE], settings)[0]
    vocabulary = sorted(
        set(generator.tokenizer.get_vocab().values()) - set(ids) - generator.eos_ids - {generator.pad_id}
    )
    foils = vocabulary[: len(ids)]  # a contrast output of as many tokens, each unlike the generated one
    contrast = generator.tokenizer.decode(foils)
    if generator.tokenizer(contrast, add_special_tokens=False)["input_ids"] != foils:
        contrast = generator.tokenizer.convert_tokens_to_string(generator.tokenizer.convert_ids_to_tokens(foils))
    explainer = token_explainer("integrated-gradients", generator, settings=settings, num_samples=64)
    record = explainer.explain("d", GENERATION_SOURCE, ids, contrast=contrast)
    assert list(record.contrast_ids) == generator.tokenizer(contrast, add_special_tokens=False)["input_ids"]
    direct = generator.token_probabilities([GENERATION_SOURCE], ids, contrast=list(record.contrast_ids))[0]
    assert record.log_ratios == pytest.approx(direct, abs=1e-9)
    # completeness: the source's scores plus the earlier tokens' sum to the log-ratio's change from the pad baseline,
    # up to the recorded error, which is within the 5 % tolerance or falls as the steps grow (a log-ratio near its
    # baseline's converges slowest: 0.28 at 64 steps and 0.10 at 256 on the tiny T5's second token, against the
    # runner-up)
    finer = token_explainer("integrated-gradients", generator, settings=settings, num_samples=256).explain(
        "d", GENERATION_SOURCE, ids, contrast=contrast
    )
    for coarse, fine in zip(record.diagnostics["relative_error"], finer.diagnostics["relative_error"]):
        assert fine <= finer.diagnostics["tolerance"] or fine < coarse < 0.5
    again = explainer.explain("d", GENERATION_SOURCE, ids, contrast=contrast)
    assert dumps_json(again.to_dict()) == dumps_json(record.to_dict())
    assert len(ids) >= 2
    with pytest.raises(
        ParameterError, match=rf"^the contrast .* has 1 tokens and the output .* has {len(ids)}; give a contrast"
    ):
        explainer.explain("d", GENERATION_SOURCE, ids, contrast=generator.tokenizer.decode(foils[:1]))


def test_a_contrastive_token_study_scores_faithfulness_of_the_log_ratio_and_says_so(tiny_generators, tmp_path):
    from workbench.records.generation import GenerationSettings
    from workbench.studies.generation_explanation import explain_generations, write_token_study

    generator = wb.load_model(str(tiny_generators["gpt2"]), device="cpu")
    rows = [{"id": f"d{i}", "source": text, "reference": "team wins"} for i, text in enumerate(TINY_GENERATION_SOURCES)]
    data = tmp_path / "d.jsonl"
    data.write_text("".join(__import__("json").dumps(row) + "\n" for row in rows))
    settings = GenerationSettings(max_new_tokens=3)
    study = explain_generations(
        generator, str(data), methods=["occlusion"], n=3, settings=settings, contrast="runner-up"
    )
    assert study.to_dict()["contrast"] == "runner-up" and study.faithfulness["occlusion"].documents == 3
    record = study.records["occlusion"][0]
    top = int(np.argmax(record.scores[0]))  # deleting the first token's top word lowers its log-ratio by its score
    masked = mask_words(record.source, [k != top for k in range(len(split_words(record.source)))])
    after = generator.token_probabilities([masked], list(record.generated_ids), contrast=list(record.contrast_ids))[0][
        0
    ]
    # abs 1e-5: the fp32 logits move in their last digits with the batch a text shares (AVX-512 kernels differ by shape)
    assert record.log_ratios[0] - after == pytest.approx(record.scores[0][top], abs=1e-5)
    paths = write_token_study(tmp_path / "out", study)
    header = paths["token_attributions.csv"].read_text().splitlines()[0]
    assert header.endswith(",contrast,log_ratio")
    assert "log p(token) − log p(runner-up)" in paths["index.html"].read_text()
    with pytest.raises(ParameterError, match="^a study's contrast is 'runner-up'"):
        explain_generations(generator, str(data), methods=["occlusion"], n=1, settings=settings, contrast="team wins")


TINY_GENERATION_SOURCES = [
    "the bank said profit and shares rose in the market",
    "the team won the match with a late goal",
    "new software for the phone and online game",
]


def test_integrated_gradients_follow_a_generators_prompt_and_vary_the_documents_tokens_only(tiny_llama):
    """The tiny Llama generates through its own chat prompt; the baseline pads the document's tokens and the fed output
    tokens and keeps the template's, so the scores add up to the log-ratio's change to that prompt, computed here by
    one plain forward pass of each."""
    import torch

    from workbench.explainers.generation import token_explainer
    from workbench.records.generation import GenerationSettings

    generator = wb.load_model(str(tiny_llama))
    assert generator.prompt is not None and generator.prompt.chat
    text = TEXTS[0]
    explainer = token_explainer(
        "integrated-gradients", generator, settings=GenerationSettings(max_new_tokens=3), num_samples=64
    )
    record = explainer.explain("d", text, contrast="runner-up")
    ids, foils = list(record.generated_ids), list(record.contrast_ids)
    assert len(ids) >= 2 and len(record.scores[0]) == len(split_words(text))
    prompt, start, end = generator.renderer.document_span(text)
    encoded = generator.tokenizer(prompt, add_special_tokens=False, return_offsets_mapping=True)
    inside = [start <= a < b <= end for a, b in encoded["offset_mapping"]]
    baseline = [generator.pad_id if k else t for t, k in zip(encoded["input_ids"], inside)]

    def log_ratios(row: list[int]) -> np.ndarray:
        with torch.no_grad():
            logits = generator.model(input_ids=torch.tensor([row])).logits[0, -len(ids) :].double()
        return (logits[range(len(ids)), ids] - logits[range(len(ids)), foils]).numpy()

    actual = log_ratios(encoded["input_ids"] + ids[:-1])
    assert record.log_ratios == pytest.approx(actual, abs=1e-5)
    gap = actual - log_ratios(baseline + [generator.pad_id] * (len(ids) - 1))
    for t in range(len(ids)):
        total = sum(record.scores[t]) + sum(record.prefix_scores[t])
        assert total == pytest.approx(gap[t], rel=0.05, abs=1e-3)
