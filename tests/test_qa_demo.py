"""The question-answering demo: bbc-qa built from the BBC articles, and demo:minilm-qa against demo:lexical-qa on it.

The data tests read the corpus files only; the model tests are integration tests on the
demos that `make test` builds (`workbench models build-demo`).
"""

from __future__ import annotations

import json

import pytest

from workbench.datasets import load_dataset
from workbench.datasets.bbc_qa import quotation_questions


def test_bbc_qa_splits_hold_each_article_once_and_every_answer_at_its_offset():
    splits = {name: load_dataset(f"bbc-qa:{name}") for name in ("train", "validation", "test")}
    assert {name: len(d) for name, d in splits.items()} == {"train": 1064, "validation": 127, "test": 276}
    articles = {name: {qid.rsplit("/", 1)[0] for qid in d.ids} for name, d in splits.items()}
    assert not (articles["train"] & articles["validation"]) and not (articles["train"] & articles["test"]) and not (articles["validation"] & articles["test"])
    news = {name: set(load_dataset(f"bbc-news:{name}").ids) for name in splits}
    assert all(articles[name] <= news[name] for name in splits)  # the article split is bbc-news's
    for dataset in splits.values():
        for question, context, gold in zip(dataset.questions, dataset.contexts, dataset.answers):
            assert question.startswith('Who said "') and len(gold) == 1
            assert context[gold[0].answer_start:gold[0].answer_start + len(gold[0].text)] == gold[0].text


def test_quotation_questions_name_the_speaker_in_each_attribution_form():
    text = ('"We will cut taxes for everyone who works hard," said Gordon Brown. '
            '"The figures are far better than anyone expected," Mr Smith said. '
            'Tony Blair said: "This is a good day for the whole country." '
            '"It was a mistake and we know it now," he said.')
    rows = quotation_questions("politics/001", text)
    assert [r["answers"][0]["text"] for r in rows] == ["Gordon Brown", "Mr Smith", "Tony Blair"]  # "he said" has no name
    assert rows[0]["question"] == 'Who said "We will cut taxes for everyone who works hard"?'
    assert rows[1]["question"] == 'Who said "The figures are far better than anyone expected"?'
    assert [r["id"] for r in rows] == ["politics/001/q0", "politics/001/q1", "politics/001/q2"]


@pytest.mark.integration
def test_minilm_qa_beats_the_lexical_baseline_on_bbc_qa_test_by_a_significant_margin(cli, tmp_path):
    result = cli("compare", "--models", "demo:minilm-qa", "demo:lexical-qa", "--data", "bbc-qa:test", "--out", tmp_path / "compare", "--no-progress")
    assert result.exit_code == 0, result.output
    compare = json.loads((tmp_path / "compare" / "compare.json").read_text())
    [pair] = compare["pairwise"]
    assert pair["a"] == "demo:minilm-qa" and pair["n"] == 276
    assert pair["significant"] and pair["mcnemar_p"] < 0.05 and pair["exact_match_diff"] > 0 and pair["exact_match_diff_ci"][0] > 0
    assert pair["f1_diff_ci"][0] > 0  # F1 too, by the paired bootstrap
    minilm = compare["metrics"]["demo:minilm-qa"]
    assert minilm["exact_match"] > 65 and minilm["decoding"] == {"max_answer_len": 30, "doc_stride": 64, "max_seq_len": 128, "handle_impossible": False}
    assert {row["by"] for row in compare["slices"]["demo:minilm-qa"]} == {"context length", "question word"}
    assert "answers more questions exactly" in result.output


@pytest.mark.integration
def test_explanations_of_the_demo_answers_beat_random_words():
    """Deleting the words integrated gradients ranks first costs the answer more than deleting random words. Occlusion
    gave the same AOPC here but took 143 s for these three questions (integrated gradients 32 s), so occlusion's answer
    explanations are checked on the tiny model (test_question_answering) until occlusion runs at the engine's speed."""
    from workbench.studies.qa_explanation import explain_qa_dataset

    study = explain_qa_dataset("demo:minilm-qa", "bbc-qa:test", methods=["integrated-gradients"], n=3, stability_seeds=0, cache=False,
                              progress=False)
    scores = study.faithfulness["integrated-gradients"]
    assert scores.method.aopc_comprehensiveness > scores.random.aopc_comprehensiveness + 0.05
    assert scores.against_random["aopc_comprehensiveness"].clears
    for record in study.attributions["integrated-gradients"]:
        assert 0 < record.output <= 1 and record.reading["answer"]["words"] is not None
    assert study.diagnostics["integrated-gradients"].converged == 3
