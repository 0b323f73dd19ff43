"""Extractive question answering: the workbench's answers equal the transformers pipeline's; the quick-start code's do not.

transformers 5 removed the question-answering pipeline, so the reference is transformers
4.57.6's ``QuestionAnsweringPipeline``, installed by ``make install`` into
``.venv/qa-reference`` (with the tokenizers and huggingface_hub it needs) and run in a
subprocess beside the same torch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from workbench.bench.qa import REFERENCE
from workbench.errors import ParameterError

CONTEXT = ("The Bank of England raised interest rates to 4.75% on Thursday, its governor Mervyn King said. "
           "Shares in London fell sharply as traders in the City reacted to the news. ")
CASES = [
    {"question": "Who said the bank raised rates?", "context": CONTEXT * 6, "options": {}},
    {"question": "What fell?", "context": "Shares in London fell sharply after the announcement.", "options": {"top_k": 3}},
    {"question": "Where did shares fall?", "context": CONTEXT * 6, "options": {"max_seq_len": 64, "doc_stride": 16, "top_k": 2, "max_answer_len": 10}},
    {"question": "Is there an answer?", "context": "Nothing here.", "options": {"handle_impossible_answer": True, "top_k": 2}},
    {"question": "What did the governor say about the economy and rates?", "context": CONTEXT * 12, "options": {"max_answer_len": 30}},
    {"question": "When?", "context": "On Thursday.", "options": {}},
]
REFERENCE_SCRIPT = """
import json, sys
from transformers import pipeline
pipe = pipeline("question-answering", model=sys.argv[1], tokenizer=sys.argv[1], device=-1)
results = [pipe(question=c["question"], context=c["context"], **{"max_answer_len": 15, **c["options"]}) for c in json.load(sys.stdin)]
print(json.dumps([r if isinstance(r, list) else [r] for r in results]))
"""


def pipeline_answers(folder: Path, cases: list[dict]) -> list[list[dict]]:
    """The transformers 4.57.6 pipeline's answers, one call per question as its documentation shows."""
    if not (REFERENCE / "transformers").is_dir():
        pytest.skip(f"the reference pipeline is not installed in {REFERENCE}; run `make install`")
    env = {**os.environ, "PYTHONPATH": str(REFERENCE), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", REFERENCE_SCRIPT, str(folder)], input=json.dumps(cases), capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_answers_equal_the_pipelines_with_long_contexts_batched(tiny_qa_dir):
    from workbench.models import load_model

    model = load_model(str(tiny_qa_dir))
    assert model.task == "question-answering" and model.max_length == 128
    expected = pipeline_answers(tiny_qa_dir, CASES)
    for case, reference in zip(CASES, expected):
        options = {"max_answer_len": 15, **case["options"]}
        options["handle_impossible"] = options.pop("handle_impossible_answer", False)
        # every question of a setting in one batched call, padded together with the others
        [ours] = model.answer([case["question"]], [case["context"]], **options)
        batched = model.answer([c["question"] for c in CASES], [case["context"]] * len(CASES), **options)[CASES.index(case)]
        assert [(a.text, a.start, a.end) for a in ours] == [(r["answer"], r["start"], r["end"]) for r in reference], case["question"]
        assert [a.score for a in ours] == pytest.approx([r["score"] for r in reference], rel=1e-5)
        assert [(a.text, a.start, a.end) for a in batched] == [(a.text, a.start, a.end) for a in ours]
        assert all(case["context"][a.start:a.end] == a.text for a in ours)
    assert model.answer(["Is there an answer?"], ["Nothing here."], handle_impossible=True)[0][0].is_null


def quick_start(model, tokenizer, question: str, context: str) -> tuple[str, int, int, int]:
    """The decoding the issue quotes from tutorials (transformers 5 dropped ``encode_plus``; calling the tokenizer is the same)."""
    import torch

    inputs = tokenizer(question, context, add_special_tokens=True, return_tensors="pt", truncation=True)
    with torch.no_grad():
        outputs = model(**inputs)
    answer_start = torch.argmax(outputs[0]).item()
    answer_end = answer_start + tokenizer.encode(context, add_special_tokens=True)[0]
    return tokenizer.decode(inputs["input_ids"][0][answer_start:answer_end]), answer_start, answer_end, inputs["input_ids"].shape[1]


def test_the_quick_start_decoding_goes_wrong_where_the_workbench_does_not(tiny_qa_dir):
    """It adds the [CLS] id (101) to the start instead of reading the end logits, so its span runs past the input or into
    the question's [SEP]; and it cuts long contexts at 128 tokens without a word."""
    from workbench.models import load_model

    model = load_model(str(tiny_qa_dir))
    question, context = CASES[0]["question"], CASES[0]["context"]
    text, start, end, length = quick_start(model.model, model.tokenizer, question, context)
    assert end - start == model.tokenizer.cls_token_id == 101  # the "end" is the start plus a token id
    assert end > length  # past the last token of the input
    assert text not in context  # special tokens and words glued from wherever the span ran
    [best] = model.answer([question], [context])[0]
    assert context[best.start:best.end] == best.text and len(model.tokenizer(question, context)["input_ids"]) > 128


def squad_file(path: Path, rows: list[dict]) -> Path:
    """SQuAD's nested JSON: one article, one paragraph per distinct context."""
    paragraphs: dict[str, list] = {}
    for row in rows:
        paragraphs.setdefault(row["context"], []).append({k: v for k, v in row.items() if k != "context"})
    path.write_text(json.dumps({"version": "v2.0", "data": [{"title": "t", "paragraphs": [{"context": c, "qas": q} for c, q in paragraphs.items()]}]}))
    return path


def qa_rows() -> list[dict]:
    first = "The Bank of England raised interest rates to 4.75% on Thursday, its governor Mervyn King said."
    second = "Shares in London fell sharply as traders in the City reacted to the news. " * 10
    return [
        {"id": "q1", "question": "Who is the governor?", "context": first, "answers": [{"text": "Mervyn King", "answer_start": first.index("Mervyn")}]},
        {"id": "q2", "question": "What did the bank raise?", "context": first,
         "answers": [{"text": "interest rates", "answer_start": first.index("interest")}, {"text": "rates", "answer_start": first.index("rates")}]},
        {"id": "q3", "question": "Who won the match?", "context": first, "answers": [], "is_impossible": True},
        {"id": "q4", "question": "Where did shares fall?", "context": second, "answers": [{"text": "London", "answer_start": second.index("London")}]},
    ]


def official_scores(prediction: str, gold: list[str]) -> tuple[float, float]:
    """The official SQuAD v2.0 evaluation script's exact match and F1 (its normalize_answer, compute_exact, compute_f1)."""
    import collections
    import re
    import string

    def normalize(s: str) -> str:
        s = "".join(ch for ch in s.lower() if ch not in set(string.punctuation))
        return " ".join(re.sub(r"\b(a|an|the)\b", " ", s).split())

    def f1(a: str, b: str) -> float:
        gold_toks, pred_toks = normalize(a).split(), normalize(b).split()
        common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
        same = sum(common.values())
        if not gold_toks or not pred_toks:
            return float(gold_toks == pred_toks)
        if same == 0:
            return 0.0
        precision, recall = same / len(pred_toks), same / len(gold_toks)
        return 2 * precision * recall / (precision + recall)

    gold = [g for g in gold if normalize(g)] or [""]
    return 100.0 * max(float(normalize(g) == normalize(prediction)) for g in gold), 100.0 * max(f1(g, prediction) for g in gold)


@pytest.mark.parametrize("form", ["squad.json", "flat.jsonl", "flat.csv", "flat.parquet"])
def test_evaluate_a_question_answering_model_in_every_file_form(cli, tmp_path, tiny_qa_dir, form):
    import pandas as pd

    rows = qa_rows()
    if form == "squad.json":
        data = squad_file(tmp_path / form, rows)
    else:
        frame = pd.DataFrame([{k: r[k] for k in ("id", "question", "context", "answers")} for r in rows])
        data = tmp_path / form
        if form.endswith(".jsonl"):
            frame.to_json(data, orient="records", lines=True)
        elif form.endswith(".csv"):
            frame.assign(answers=frame["answers"].map(json.dumps)).to_csv(data, index=False)
        else:
            frame.to_parquet(data)
    out = tmp_path / "out"
    result = cli("evaluate", "--model", tiny_qa_dir, "--data", data, "--out", out, "--max-seq-len", "32", "--doc-stride", "8")
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    lines = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert [line["id"] for line in lines] == ["q1", "q2", "q3", "q4"] and metrics["n"] == 4
    assert metrics["decoding"] == {"max_answer_len": 30, "doc_stride": 8, "max_seq_len": 32, "handle_impossible": True}
    contexts = {r["id"]: r["context"] for r in rows}
    for line in lines:
        assert contexts[line["id"]][line["start"]:line["end"]] == line["prediction"]
        assert (line["exact_match"], line["f1"]) == pytest.approx(official_scores(line["prediction"], line["answers"]), abs=1e-4)
    assert metrics["exact_match"] == pytest.approx(sum(line["exact_match"] for line in lines) / 4)
    assert metrics["f1"] == pytest.approx(sum(line["f1"] for line in lines) / 4)
    assert metrics["has_answer"]["n"] == 3 and metrics["no_answer"]["n"] == 1 and 0 <= metrics["outside_windows"] <= 1
    assert set(metrics["ci"]) == {"exact_match", "f1"} and metrics["provenance"]["data_sha256"]


@pytest.mark.parametrize("change, message", [
    (lambda rows: rows[0].pop("question"), "has no 'question'"),
    (lambda rows: rows[1].update(question="  "), "'q2' (row 1) has an empty question"),
    (lambda rows: rows[0]["answers"][0].update(answer_start=3), "the answer 'Mervyn King' is not at character 3 of its context"),
    (lambda rows: rows[3].update(id="q1"), "question id 'q1' occurs more than once"),
])
def test_a_bad_question_answering_file_is_one_line_exit_2_and_nothing_written(cli, tmp_path, tiny_qa_dir, change, message):
    rows = qa_rows()
    change(rows)
    result = cli("evaluate", "--model", tiny_qa_dir, "--data", squad_file(tmp_path / "bad.json", rows), "--out", tmp_path / "out")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and message in result.stderr, result.output
    assert not (tmp_path / "out").exists()


def test_a_model_and_data_of_different_tasks_is_exit_2(cli, tmp_path, tiny_qa_dir, tiny_model_dir, tiny_csv):
    qa = squad_file(tmp_path / "d.json", qa_rows())
    for model, data, message in ((tiny_model_dir, qa, "is a classification model but"), (tiny_qa_dir, tiny_csv, "is a question-answering model but")):
        result = cli("evaluate", "--model", model, "--data", data, "--out", tmp_path / "out")
        assert result.exit_code == 2 and message in result.stderr and result.stderr.count("\n") == 1, result.output
        assert not (tmp_path / "out").exists()


def test_two_question_answering_models_compared_on_the_same_questions(tmp_path, tiny_qa_dir):
    from statsmodels.stats.contingency_tables import mcnemar

    from workbench.datasets import load_dataset
    from workbench.models import load_model
    from workbench.models.lexical_qa import save_lexical_qa
    from workbench.statistics.qa_metrics import compute_qa_metrics
    from workbench.statistics.qa_paired import qa_pairwise, qa_slices, question_word
    from workbench.studies.qa_prediction import predict_qa

    dataset = load_dataset(str(squad_file(tmp_path / "d.json", qa_rows())))
    save_lexical_qa(tmp_path / "lexical")
    runs = [predict_qa(load_model(str(folder)), dataset, progress=False) for folder in (tiny_qa_dir, tmp_path / "lexical")]
    scores = [compute_qa_metrics(run, seed=0) for run in runs]
    pair = qa_pairwise(*runs, *scores, seed=0)
    right = [[r["exact_match"] > 0 for r in s.per_question] for s in scores]
    table = [[sum(a and b for a, b in zip(*right)), sum(a and not b for a, b in zip(*right))],
             [sum(b and not a for a, b in zip(*right)), sum(not a and not b for a, b in zip(*right))]]
    assert pair.mcnemar_p == mcnemar(table, exact=True).pvalue and pair.n == 4
    assert pair.exact_match_diff == pytest.approx(scores[0].exact_match - scores[1].exact_match)
    assert pair.f1_diff == pytest.approx(scores[0].f1 - scores[1].f1) and len(pair.disagreements) == table[0][1] + table[1][0]
    # the lexical baseline: the one name in the bank's sentence for every question on it, and "City" (the later name near "shares")
    assert [a.text for a in runs[1].answers] == ["Mervyn King", "Mervyn King", "Mervyn King", "City"]
    slices = {(s.by, s.slice): s for s in qa_slices(scores[1], dataset.questions, dataset.contexts)}
    assert slices[("question word", "who")].n == 2 and slices[("question word", "who")].exact_match == 50.0
    assert slices[("question word", "where")].exact_match == 0.0 and slices[("question word", "what")].n == 1
    assert sum(s.n for s in slices.values() if s.by == "context length") == 4
    assert question_word('Who said "it"?') == "who" and question_word("Name the bank.") == "other"


EXPLAINED = [
    ("Who is the governor?", "The Bank of England raised interest rates to 4.75% on Thursday, its governor Mervyn King said."),
    ("Where did shares fall?", "Shares in London fell sharply as traders in the City reacted to the news. " * 8),
]


@pytest.mark.parametrize("method", ["lime", "shap", "integrated-gradients", "gradient-x-input", "occlusion"])
def test_every_method_explains_the_answers_span_probability_over_question_and_context(tiny_qa_dir, method):
    from workbench.explainers import explain_qa
    from workbench.models import load_model
    from workbench.words import occurrences, split_words, word_spans

    model = load_model(str(tiny_qa_dir))
    questions, contexts = [q for q, _ in EXPLAINED], [c.strip() for _, c in EXPLAINED]
    records = explain_qa(model, questions, contexts, method=method, num_samples=64, cache=False, ids=["a", "b"])
    answers = [best[0] for best in model.answer(questions, contexts)]
    assert len(occurrences(contexts[0], answers[0].text)) == 1  # so occlusion's check below runs at least once
    for record, question, context, answer in zip(records, questions, contexts, answers):
        split = len(split_words(question))
        assert record.words == split_words(question) + split_words(context) and record.visible == len(record.words)
        assert record.target == answer.text and record.reading["question_words"] == split and record.base == 0.0
        assert record.output == pytest.approx(model.answer_probability([question], [context], [answer.text])[0], abs=1e-7)
        assert answer.score <= record.output + 1e-6  # the pipeline adds the same spans, but only those among its best per window
        first, last = record.reading["answer"]["words"]
        spans = word_spans(context)
        assert spans[first - split][0] <= answer.start < answer.end <= spans[last - split - 1][1]
        assert context[record.reading["answer"]["start"]:record.reading["answer"]["end"]] == answer.text
        scores = np.array(record.scores)
        if method == "occlusion" and len(occurrences(context, answer.text)) == 1:  # deleting a word of the only answer takes it away
            assert scores[first:last] == pytest.approx([record.output] * (last - first), abs=1e-6)
        if method == "shap":  # Owen values add up, part by part: to p, and to p less p without the question
            assert scores[split:].sum() == pytest.approx(record.output, abs=1e-5)
            without_question = model.answer_probability([""], [context], [answer.text])[0]
            assert scores[:split].sum() == pytest.approx(record.output - without_question, abs=1e-5)
        if method == "integrated-gradients":  # completeness: the scores add up to p(text) - p(padding), within the stated error
            d = record.diagnostics
            assert d["converged"] and abs(scores.sum() - d["gap"]) <= d["tolerance"] * abs(d["gap"]) + 1e-6
    again = explain_qa(model, questions, contexts, method=method, num_samples=64, cache=False, ids=["a", "b"])
    assert [r.to_dict() for r in again] == [r.to_dict() for r in records]  # the same seed, the same record, byte for byte


def test_a_question_answering_study_runs_lime_and_shap_by_default_at_budgets_that_fit(tiny_qa_dir, tmp_path):
    """LIME's 2000 samples took minutes a BBC question, each sample re-reading every window that holds the answer: on
    answers it spends ``QA_NUM_SAMPLES`` unless told otherwise, and SHAP its own 500."""
    from workbench.explainers import explain_qa
    from workbench.explainers.qa import QA_NUM_SAMPLES
    from workbench.models import load_model
    from workbench.studies.qa_explanation import explain_qa_dataset

    study = explain_qa_dataset(str(tiny_qa_dir), str(squad_file(tmp_path / "d.json", qa_rows())), n=2, cache=False)
    assert study.methods == ("lime", "shap", "occlusion", "integrated-gradients")
    assert study.params["lime"]["num_samples"] == QA_NUM_SAMPLES["lime"] == 600
    assert study.params["shap"]["num_samples"] == 500
    assert study.stability["lime"].top_k_overlap is not None and {study.faithfulness[m].n for m in study.methods} == {2}
    question, context = EXPLAINED[0]
    model = load_model(str(tiny_qa_dir))
    [record] = explain_qa(model, [question], [context], method="lime", num_samples=64, cache=False)
    assert record.params["num_samples"] == 64  # a budget given is the budget spent


def test_occlusion_of_a_long_context_runs_each_distinct_window_once_and_scores_as_one_deletion_at_a_time(tiny_qa_dir):
    """A deletion leaves the windows before it as they were: the engine runs identical windows once (``run_rows``), and
    each word's score still equals p(answer) less its probability with that word deleted, computed on its own."""
    from workbench.explainers import explain_qa
    from workbench.explainers.qa import AnswerTarget
    from workbench.models import load_model
    from workbench.words import occurrences
    from workbench.words import mask_words, segment_offsets

    model = load_model(str(tiny_qa_dir), device="cpu")
    cities = ["London", "Paris", "Berlin", "Madrid", "Rome", "Vienna", "Dublin", "Lisbon", "Oslo", "Prague", "Warsaw",
              "Athens"]
    sales = [f"Traders in {cities[i % 12]} sold {7 * i + 3} shares before noon." for i in range(40)]
    question, context = EXPLAINED[0][0], " ".join([EXPLAINED[0][1], *sales])
    [answer] = model.answer([question], [context])[0]
    assert len(model.context_windows(question, context)) == 6 and len(occurrences(context, answer.text)) == 1
    n = len(segment_offsets(context))
    texts = [context] + [mask_words(context, [j != k for j in range(n)]) for k in range(n)]  # what occlusion reads
    decoding = {"max_answer_len": 30, "doc_stride": 64, "max_seq_len": 128}
    rows = []  # every row the network reads, as the batches hold them

    def read(module, args, kwargs, output):
        lengths = kwargs["attention_mask"].sum(-1).tolist()
        rows.extend(tuple(ids[:length]) for ids, length in zip(kwargs["input_ids"].tolist(), lengths))

    hook = model.runner.register_forward_hook(read, with_kwargs=True)
    try:
        p = AnswerTarget(model, question, context, answer.text, "context", decoding).predict_proba(texts)[:, 0]
    finally:
        hook.remove()
    encoded = model.encode_windows([question] * len(texts), texts, decoding["max_seq_len"], decoding["doc_stride"])
    held = [tuple(encoded["input_ids"][w]) for w, owner in enumerate(encoded["overflow_to_sample_mapping"])
            if model.span_positions(encoded, w, occurrences(texts[owner], answer.text), decoding["max_answer_len"])]
    assert sorted(rows) == sorted(set(held))  # each window that holds the answer read once
    assert len(rows) < len(held) / 2  # where it was read once for each text that holds it
    some = range(0, len(texts), 5)  # the text whole, then every fifth deletion: each read on its own
    alone = np.array([model.answer_probability([question], [texts[k]], [answer.text])[0] for k in some])
    np.testing.assert_allclose(p[some], alone, atol=1e-6)
    [record] = explain_qa(model, [question], [context], method="occlusion", cache=False)
    np.testing.assert_allclose(np.array(record.scores[-n:])[[k - 1 for k in some[1:]]], alone[0] - alone[1:], atol=1e-6)


def test_faithfulness_of_answer_explanations_deletes_from_question_and_context(tiny_qa_dir, tmp_path):
    from workbench.errors import ModelError
    from workbench.explainers import explain_qa
    from workbench.models import load_model
    from workbench.models.lexical_qa import save_lexical_qa
    from workbench.statistics.qa_faithfulness import answer_words, score_qa_faithfulness
    from workbench.words import occurrences, split_words

    model = load_model(str(tiny_qa_dir))
    questions, contexts = [q for q, _ in EXPLAINED], [c.strip() for _, c in EXPLAINED]
    records = explain_qa(model, questions, contexts, method="occlusion", cache=False)
    every_word = score_qa_faithfulness(model, records, questions, contexts, seed=0, keep_answer=False)
    assert every_word.n == 2 and every_word.random_repeats == 3 and "kept_words" not in every_word.to_dict()
    # the first answer stands once in its context: its words score the whole probability, so the rationale holds them and deleting it leaves p = 0
    assert every_word.documents[0]["comprehensiveness"] == pytest.approx(records[0].output, abs=1e-6)
    # by default the answer's own words stay: the words of each of its occurrences, found ignoring case
    for record, context in zip(records, contexts):
        kept = sorted(answer_words(record, context))
        occurrences_in_words = len(kept) // len(split_words(record.target))
        assert occurrences_in_words == len(occurrences(context, record.target)) >= 1
        answers = " ".join([record.target.lower()] * occurrences_in_words)
        assert " ".join(record.words[i] for i in kept).lower() == answers
    result = score_qa_faithfulness(model, records, questions, contexts, seed=0)
    assert result.to_dict()["kept_words"] == "answer"
    # no deletion takes the answer away now, so no drop reaches the whole probability, and the random orders differ too
    assert all(d["comprehensiveness"] < record.output - 1e-3 for d, record in zip(result.documents, records))
    assert result.random.aopc_comprehensiveness != every_word.random.aopc_comprehensiveness
    assert score_qa_faithfulness(model, records, questions, contexts, seed=0) == result
    with pytest.raises(ParameterError, match="does not explain"):
        score_qa_faithfulness(model, records[::-1], questions, contexts)
    save_lexical_qa(tmp_path / "lexical")
    lexical = load_model(str(tmp_path / "lexical"))
    with pytest.raises(ModelError, match="needs gradients"):
        explain_qa(lexical, questions, contexts, method="integrated-gradients", cache=False)
    [record] = explain_qa(lexical, questions[:1], contexts[:1], method="occlusion", cache=False)
    assert record.target == "Mervyn King" and set(record.scores) <= {0.0, 1.0} and record.output == 1.0


def test_workbench_explain_and_compare_on_question_answering_models(cli, tmp_path, tiny_qa_dir):
    from workbench.models.lexical_qa import save_lexical_qa
    from workbench.words import whole_text

    from .browser import in_chromium

    rows = qa_rows()
    hostile = '<script>alert("q")</script> Who is the governor?'
    rows[0] = {**rows[0], "question": hostile}
    data = squad_file(tmp_path / "d.json", rows)
    result = cli("explain", "--model", tiny_qa_dir, "--data", data, "--out", tmp_path / "explain", "--method", "occlusion",
                 "--method", "gradient-x-input", "--n", "2", "--no-cache")
    assert result.exit_code == 0, result.output
    study = json.loads((tmp_path / "explain" / "faithfulness.json").read_text())
    assert study["methods"] == ["occlusion", "gradient-x-input"] and study["n"] == 2 and study["reading"]["mode"] == "question-context"
    lines = [json.loads(line) for line in (tmp_path / "explain" / "attributions.jsonl").read_text().splitlines()]
    assert len(lines) == 4 and {line["params"]["max_seq_len"] for line in lines} == {128}
    assert {line["params"]["backend"] for line in lines} == {"torch"}
    # the answer's words stay in every deletion, and the page says so
    assert {study["faithfulness"][m]["kept_words"] for m in study["methods"]} == {"answer"}
    page = (tmp_path / "explain" / "index.html").read_text()
    assert "answer&#39;s own words (each of its occurrences in the context) are never deleted" in page
    assert "<script>" not in page and "&lt;" in page and 'class="wb-answer"' in page  # "<" is a word, escaped
    # the question and the context as written ("4.75%", "Thursday,"), each word shaded over its own characters, the
    # answer outlined
    explained = {line["id"]: None for line in lines}  # the documents explained, in the page's order
    by_id = {row["id"]: (row["question"], whole_text(row["context"])) for row in rows}
    shown = [by_id[doc] for doc in explained for _ in ("occlusion", "gradient-x-input")]
    texts = in_chromium(tmp_path / "explain" / "index.html", ".wb-words")
    assert texts == [t for q, c in shown for t in (f"Q: {q}", c)]
    assert [line["text"] for line in lines] == [f"{q}\n{c}" for q, c in shown]
    answers = in_chromium(tmp_path / "explain" / "index.html", ".wb-answer")
    assert len(answers) == 4 and all(answer and answer in context for answer, (_, context) in zip(answers, shown))
    save_lexical_qa(tmp_path / "lexical")
    result = cli("compare", "--models", tiny_qa_dir, tmp_path / "lexical", "--data", data, "--out", tmp_path / "compare")
    assert result.exit_code == 0, result.output
    compare = json.loads((tmp_path / "compare" / "compare.json").read_text())
    assert compare["task"] == "question-answering" and len(compare["pairwise"]) == 1 and compare["pairwise"][0]["n"] == 4
    for ref, path in compare["predictions"].items():
        answers = [json.loads(line) for line in (tmp_path / "compare" / path).read_text().splitlines()]
        assert len(answers) == 4 and np.mean([a["exact_match"] for a in answers]) == pytest.approx(compare["metrics"][ref]["exact_match"])
    assert "lexical" in (tmp_path / "compare" / "compare.html").read_text()
    result = cli("compare", "--models", tiny_qa_dir, tiny_qa_dir, "--data", data, "--out", tmp_path / "twice")
    assert result.exit_code == 2 and "more than once" in result.stderr and not (tmp_path / "twice").exists()
    result = cli("predict", "--model", tiny_qa_dir, "--data", data, "--out", tmp_path / "p.csv")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and not (tmp_path / "p.csv").exists()
    assert "p.csv must be a .jsonl or .parquet file path for a question-answering model" in result.stderr
    result = cli("predict", "--model", tiny_qa_dir, "--data", data, "--out", tmp_path / "p.jsonl", "--max-answer-len", "5")
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert len(answers) == 4 and all(set(a) == {"id", "prediction", "start", "end", "score", "answers"} for a in answers)


def test_question_answering_pages_with_hostile_text_stay_inert_in_chromium(cli, tmp_path, tiny_qa_dir):
    from workbench.models.lexical_qa import save_lexical_qa

    from .browser import chromium_dom
    from .test_render import PAYLOADS, assert_inert

    context = f"{PAYLOADS[1]} The governor Mervyn King said {PAYLOADS[4]} rates rose."
    rows = [{"id": PAYLOADS[2], "question": f"{PAYLOADS[0]} Who is the governor?", "context": context,
             "answers": [{"text": "Mervyn King", "answer_start": context.index("Mervyn")}]},
            {"id": PAYLOADS[3], "question": "What rose?", "context": context, "answers": [{"text": PAYLOADS[4], "answer_start": context.index(PAYLOADS[4])}]}]
    data = squad_file(tmp_path / "d.json", rows)
    result = cli("explain", "--model", tiny_qa_dir, "--data", data, "--out", tmp_path / "explain", "--method", "occlusion", "--method",
                 "integrated-gradients", "--n", "2", "--no-cache")
    assert result.exit_code == 0, result.output
    save_lexical_qa(tmp_path / "lexical")
    result = cli("compare", "--models", tiny_qa_dir, tmp_path / "lexical", "--data", data, "--out", tmp_path / "compare")
    assert result.exit_code == 0, result.output
    for page, images in ((tmp_path / "explain" / "index.html", 4), (tmp_path / "compare" / "compare.html", 0)):
        assert_inert(page.read_text(encoding="utf-8"), images=images)
        dom = chromium_dom(page)
        assert 'id="pwned"' not in dom and "<title>pwned</title>" not in dom
        assert_inert(dom.split("<body", 1)[1], images=images)


def test_the_qa_report_notebook_gives_the_command_lines_scores_in_a_real_kernel(cli, tmp_path, tiny_qa_dir):
    from workbench.models.lexical_qa import save_lexical_qa
    from workbench.report import run_report

    from .browser import chromium_dom, in_chromium

    data = squad_file(tmp_path / "d.json", qa_rows())
    save_lexical_qa(tmp_path / "lexical")
    result = cli("evaluate", "--model", tiny_qa_dir, "--data", data, "--out", tmp_path / "cli")
    assert result.exit_code == 0, result.output
    notebook = Path(__file__).resolve().parent.parent / "notebooks" / "qa.ipynb"
    report = run_report(notebook, tmp_path / "report", {"model": str(tiny_qa_dir), "data": str(data), "baseline": str(tmp_path / "lexical"),
                                                         "explain_n": 2})
    metrics = json.loads((tmp_path / "report" / "metrics.json").read_text())
    expected = json.loads((tmp_path / "cli" / "metrics.json").read_text())
    assert metrics["exact_match"] == expected["exact_match"] and metrics["f1"] == expected["f1"] and metrics["ci"] == expected["ci"]
    assert (tmp_path / "report" / "predictions.jsonl").read_bytes() == (tmp_path / "cli" / "predictions.jsonl").read_bytes()
    assert metrics["comparison"]["pairwise"][0]["n"] == 4
    assert metrics["explanations"]["methods"] == ["lime", "shap", "occlusion", "gradient-x-input"]
    assert report.manifest["headline"]["n"] == 4 and "McNemar p" in report.manifest["headline"]
    markup = report.html.read_text(encoding="utf-8")
    assert "<script" not in markup and "import workbench" not in markup and "wb-answer" in markup and "Worst misses" in markup
    dom = chromium_dom(report.html)
    assert 'class="wb-answer"' in dom and dom.count("<table") >= 4
    [width] = in_chromium(report.html, "img[alt='reliability diagram']", "e => e.naturalWidth")  # exact match by score
    assert width > 300 and (tmp_path / "cli" / "reliability.png").read_bytes()[:4] == b"\x89PNG"
    reliability = metrics["reliability"]
    assert sum(reliability["counts"]) == 4 and reliability == expected["reliability"]


def test_windows_that_stop_short_of_the_context_are_a_one_line_error(tiny_qa_dir):
    """Seen with transformers 5.17 and tokenizers 0.23.2: a long context cut into too few windows; the answers would be silently lost."""
    from workbench.errors import ModelError
    from workbench.models import load_model

    model = load_model(str(tiny_qa_dir))
    question, context = "Who said it?", CONTEXT * 6
    whole = model.tokenizer([question], [context], truncation="only_second", max_length=64, stride=16, return_overflowing_tokens=True,
                            return_offsets_mapping=True)
    model._check_windows_cover(whole, [context])  # every window: the context's last token is read
    short = model.tokenizer([question], [context[:200]], truncation="only_second", max_length=64, stride=16, return_overflowing_tokens=True,
                            return_offsets_mapping=True)  # windows that stop at character 200, as 5.17's did early
    with pytest.raises(ModelError, match="windows stop at character 200 of a context whose last token ends at .* upgrade them"):
        model._check_windows_cover(short, [context])
