"""The explorer app, headless: set widget values, click, wait, and read what it shows."""

from __future__ import annotations

import threading

import pytest

from workbench.datasets import load_dataset
from workbench.models import load_model
from workbench.render.html import escape
from workbench.widgets import Explorer
from workbench.words import word_spans

from .test_render import PAYLOADS, assert_inert


@pytest.fixture
def explorer(tiny_sharp_dir, tiny_csv):
    return Explorer(load_model(str(tiny_sharp_dir)), load_dataset(str(tiny_csv)), num_samples=40)


def test_search_and_the_misclassified_filter_narrow_the_documents(explorer):
    assert len(explorer.document.options) == 8 and explorer.status.value == "8 of 8 documents"
    explorer.search.value = "bank"
    assert [i for _, i in explorer.document.options] == [0, 3, 6]
    assert explorer.document.value == 0
    explorer.search.value = ""
    explorer.wrong_only.value = True
    wrong = [i for i in range(8) if explorer.predictions.labels[i] != explorer.predicted[i]]
    assert [i for _, i in explorer.document.options] == wrong and wrong
    explorer.search.value = "no such words anywhere"
    assert explorer.document.options == () and explorer.document.value is None
    assert "No document matches" in explorer.prediction.value
    assert explorer.explain_button.click() is None and explorer.worker is not None
    explorer.wait(60)
    assert explorer.status.value.startswith("error: no document is selected")


def test_choosing_a_document_shows_its_probabilities_and_text(explorer):
    explorer.document.value = 4
    shown = explorer.prediction.value
    assert "player of the season said the team will win" in shown
    for label in ("business", "sports", "tech"):
        assert f"<td>{label}</td>" in shown
    assert f"gold {explorer.predictions.labels[4]}" in shown


def test_the_calibration_panel_draws_the_reliability_diagram_of_the_whole_dataset(explorer):
    assert explorer.calibration_panel.value.startswith('<img alt="reliability diagram" src="data:image/png;base64,')


def test_explain_runs_in_the_background_and_shows_words_and_faithfulness(explorer):
    explorer.document.value = 0
    explorer.method.value = "lime"
    explorer.explain_button.click()
    worker = explorer.worker
    assert worker is not None and worker is not threading.current_thread()
    explorer.wait(120)
    assert not worker.is_alive()
    assert explorer.status.value == "done" and explorer.progress.value == explorer.progress.max and explorer.progress.bar_style == "success"
    assert not explorer.explain_button.disabled
    record = explorer.attribution
    assert record.method == "lime" and record.words == tuple("the bank said profit and shares rose in the market".split())
    assert explorer.words.value.count("<span") == len(record.words)
    assert "comprehensiveness" in explorer.faithfulness.value and "random words" in explorer.faithfulness.value
    # the same document and seed again: the same scores (and the cache is not needed for that)
    first = record.scores
    explorer.method.value = "occlusion"
    explorer.explain_button.click()
    explorer.wait(120)
    assert explorer.attribution.method == "occlusion"
    explorer.method.value = "lime"
    explorer.explain_button.click()
    explorer.wait(120)
    assert explorer.attribution.scores == first


def test_methods_the_model_cannot_run_are_not_offered(tmp_path):
    from workbench.models.demos import is_current

    if not is_current("tfidf-logreg"):
        pytest.skip("demo:tfidf-logreg is not built (make test builds it)")
    texts = load_dataset("bbc-news:test")
    app = Explorer(load_model("demo:tfidf-logreg"), texts)
    assert app.method.options == ("lime", "shap", "occlusion")


def test_hostile_text_and_ids_are_escaped_in_the_app(tmp_path, tiny_sharp_dir):
    from .conftest import write_csv

    data = write_csv(tmp_path / "d.csv", [(PAYLOADS[i], f"the bank said {PAYLOADS[i]}", "business") for i in range(5)], header="id,text,label")
    app = Explorer(load_model(str(tiny_sharp_dir)), load_dataset(str(data)), methods=["occlusion"])
    for row in range(5):
        app.document.value = row
        assert_inert(app.prediction.value, images=0)
        assert escape(PAYLOADS[row]) in app.prediction.value
        app.explain_button.click()
        app.wait(60)
        assert app.status.value == "done"
        assert_inert(app.words.value + app.faithfulness.value, images=0)


def test_an_unlabeled_dataset_can_be_explored_without_the_misclassified_filter(tmp_path, tiny_sharp_dir):
    from .conftest import write_csv

    data = write_csv(tmp_path / "u.csv", [("the bank said profit",), ("goal",)], header="text")
    app = Explorer(load_model(str(tiny_sharp_dir)), load_dataset(str(data), label_column=None), methods=["occlusion"])
    assert app.wrong_only.disabled and "gold" not in app.prediction.value
    assert app.calibration_panel.value == ""  # no gold, nothing to be right about
    assert [label for label, _ in app.document.options][1].startswith("1 · predicted ")
    app.document.value = 1
    app.explain_button.click()
    app.wait(60)
    assert app.status.value == "done" and app.attribution.words == ("goal",)


def test_the_app_greys_unread_words_and_flags_what_cannot_be_trusted(tmp_path, tiny_sharp_dir):
    """A document past the tiny model's 22 tokens; LIME on 40 samples, re-run under the next seed."""
    from .conftest import write_csv
    from .test_explainers import LONG, TAIL

    data = write_csv(tmp_path / "long.csv", [(LONG, "business")])
    app = Explorer(load_model(str(tiny_sharp_dir)), load_dataset(str(data)), methods=["lime"], num_samples=40)
    app.explain_button.click()
    app.wait(120)
    assert app.status.value == "done" and app.progress.value == 3
    record, shown = app.attribution, app.words.value
    assert record.visible < len(record.words) and "the model stopped reading here (24-token limit)" in shown
    unread = record.text[word_spans(record.text)[record.visible - 1][1]:]  # the text as written after the last read
    assert f'<span class="wb-unseen" style="color:#999" title="not read, so not scored">{unread}</span>' in shown
    assert all(word in record.words[record.visible:] for word in TAIL)
    assert f"read {record.visible} of {len(record.words)} words" in shown
    assert app.stability is not None and app.stability.n == 1
    assert ("unstable: seed 1 ranks the words differently" in shown) == app.stability.unstable
    assert ("no better than random words on 1 document" in shown) == app.scores.no_better_than_random
    assert app.scores.random_repeats == 19 and "of 19 random word orders" in app.faithfulness.value


def test_the_question_answering_explorer_answers_explains_and_marks_what_cannot_be_trusted(tmp_path, tiny_qa_dir):
    """Pick a question, see the answer, its score and exact match, explain it (LIME, re-run under the next seed) and see
    the question and the shaded context with the answer outlined, the faithfulness and the stability verdicts."""
    from .test_question_answering import qa_rows, squad_file

    data = squad_file(tmp_path / "d.json", qa_rows())
    app = Explorer(load_model(str(tiny_qa_dir)), load_dataset(str(data)), num_samples=30)
    assert type(app).__name__ == "QAExplorer" and app.status.value == "4 of 4 questions"
    wrong = [i for i in range(4) if app.metrics.per_question[i]["exact_match"] == 0]
    app.wrong_only.value = True
    assert [i for _, i in app.document.options] == wrong and app.wrong_only.description == "not exactly right only"
    app.wrong_only.value = False
    app.search.value = "governor"
    assert [i for _, i in app.document.options] == [0]
    answer = app.predictions.answers[0]
    assert escape(answer.text) in app.prediction.value and "Who is the governor?" in app.prediction.value
    assert f"score {answer.score:.2f}" in app.document.options[0][0]
    app.method.value = "lime"
    app.explain_button.click()
    app.wait(240)
    assert app.status.value == "done" and app.progress.value == 3
    record, shown = app.attribution, app.words.value
    assert record.reading["mode"] == "question-context" and record.target == answer.text
    assert 'class="wb-answer"' in shown and "<strong>Q:</strong>" in shown
    assert "red words push toward the answer" in shown and app.stability is not None
    assert ("unstable: seed 1 ranks the words differently" in shown) == app.stability.unstable
    assert ("no better than random words on 1 document" in shown) == app.scores.no_better_than_random
    assert "of 19 random word orders" in app.faithfulness.value
    assert app.calibration_panel.value.startswith('<img alt="reliability diagram"')


def test_the_generation_explorer_shades_the_source_and_the_earlier_tokens_by_the_chosen_token(tmp_path,
                                                                                               tiny_generators):
    from workbench.records.generation import GenerationSettings

    from .test_generation import generation_file

    data = generation_file(tmp_path / "d.jsonl")
    settings = GenerationSettings(max_new_tokens=4)
    app = Explorer(load_model(str(tiny_generators["gpt2"])), load_dataset(str(data)), settings=settings)
    assert type(app).__name__ == "GenerationExplorer" and app.status.value == "4 of 4 sources"
    assert list(app.method.options) == ["occlusion", "integrated-gradients"] and "ROUGE-L" in app.document.options[0][0]
    app.wrong_only.value = True
    rouge = [d["rougeL"] for d in app.metrics.per_document]
    assert [i for _, i in app.document.options] == [i for i in range(4) if rouge[i] < sorted(rouge)[2]]
    app.wrong_only.value = False
    app.explain_button.click()
    app.wait(240)
    assert app.status.value == "done"
    record = app.attribution
    labels = [label for label, _ in app.tokens.options]
    assert labels == [f"{t + 1}: {token}" for t, token in enumerate(record.generated)]
    assert app.tokens.value == 0 and "token 1 of 4" in app.words.value and "earlier tokens:" not in app.words.value
    app.tokens.value = 2  # the third token: shaded source words, then the two tokens before it (a decoder-only model)
    shown = app.words.value
    assert "token 3 of 4" in shown and "earlier tokens:" in shown and f"{record.scores[2][0]:+.4f}" in shown
    assert f"{record.prefix_scores[2][1]:+.4f}" in shown and "wb-heatmap" in app.heatmap.value
    assert "deleting each token&#39;s top source words" in app.faithfulness.value  # escaped
    app.document.value = 1  # another source clears the explanation
    assert app.tokens.options == () and app.words.value == "" and app.heatmap.value == ""


def test_the_corpus_map_lays_out_the_model_s_own_embeddings_and_a_chosen_point_opens_its_document(explorer):
    """UMAP of the tiny model's mean hidden states, seeded: the same points twice; every colour the data allows; one
    chosen point (a click) opens its document, a lasso of several leaves the Explorer as it was."""
    import numpy as np

    from workbench.widgets import CorpusMap

    first = CorpusMap(explorer, colour="label")
    again = CorpusMap(explorer, colour="error", projection="umap")
    assert first.points.shape == (8, 2) and first.points.tobytes() == again.points.tobytes()
    import torch

    vectors, model = explorer.model.embed(list(explorer.dataset.texts)), explorer.model
    with torch.no_grad():  # one text by hand: the mean of BERT's last hidden states over its tokens
        text = explorer.dataset.texts[3]
        tokens = model.tokenizer(text, truncation=True, max_length=model.max_length, return_tensors="pt")
        by_hand = model.model.base_model(**tokens).last_hidden_state[0].mean(dim=0).numpy()
    assert vectors.shape == (8, model.config.hidden_size) and np.allclose(vectors[3], by_hand, atol=1e-5)
    assert np.isfinite(first.points).all()
    assert list(first.table.columns) == ["x", "y", "id", "text", "error", "label", "confidence", "length"]
    assert list(first.colour.options) == ["error", "label", "confidence", "length"]
    assert first.table["error"].tolist() == ["wrong" if explorer.wrong(i) else "right" for i in range(8)]
    first.colour.value = "confidence"
    assert first.scatter.color()["by"] == "confidence"
    first.scatter.widget.selection = [5]
    assert explorer.document.value == 5 and explorer.dataset.ids[5] in explorer.prediction.value
    first.scatter.widget.selection = [1, 2, 3]
    assert explorer.document.value == 5


def test_a_corpus_map_of_a_rule_or_an_unknown_colour_is_one_line(tmp_path, explorer):
    from workbench.errors import ModelError, ParameterError
    from workbench.models.lead_sentence import save_lead_sentence
    from workbench.widgets import CorpusMap

    from .test_generation import generation_file

    save_lead_sentence(tmp_path / "lead")
    rule = Explorer(load_model(str(tmp_path / "lead")), load_dataset(str(generation_file(tmp_path / "d.jsonl"))))
    with pytest.raises(ModelError, match="is a rule without embeddings, so it draws no corpus map"):
        CorpusMap(rule)
    with pytest.raises(ParameterError, match="cannot be coloured by 'in train'; use one of: error, label, confidence"):
        CorpusMap(explorer, colour="in train", projection="pca")
