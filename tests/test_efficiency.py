"""The explanation efficiency table: what it counts, what it replays, and one small run over three tasks.

No timing is asserted (speed is what `make bench` reports); the counts are checked against the shapes the engine ran.
"""

from __future__ import annotations

import pytest

from workbench.bench.efficiency import (
    Subject, format_efficiency_table, network_of, package_of, recording, replay, run_efficiency,
)
from workbench.models import load_model

from .conftest import TINY_ROWS, write_csv
from .test_generation import GENERATION_ROWS, generation_file
from .test_question_answering import qa_rows, squad_file


def test_a_scoring_call_is_counted_by_its_padded_rows_and_replayed_as_the_same_call(tiny_sharp_dir):
    model = load_model(str(tiny_sharp_dir), device="cpu", backend="torch")
    texts = ["the bank said profit rose", "the team won", "new phone"]
    widths = [len(model.tokenizer(t)["input_ids"]) for t in texts]
    with recording(model) as seen:
        expected = model.predict_proba(texts, progress=False)
    assert seen.passes == 1 and seen.rows == 3 and seen.backward_rows == 0
    assert seen.padded_tokens == 3 * max(widths)  # one batch: three rows padded to the longest
    assert [(kind, name, args) for kind, name, args, _ in seen.replay] == [("call", "predict_proba", (texts,))]
    assert "predict_proba" not in vars(model)  # the class's method again after the recording
    with recording(model) as again:
        assert replay(model, seen.replay) > 0
    assert again.rows == 3 and (model.predict_proba(texts, progress=False) == expected).all()


def test_gradient_passes_are_counted_with_their_backward_rows_and_replayed_bare(tiny_sharp_dir):
    from workbench.explainers import explain

    model = load_model(str(tiny_sharp_dir), device="cpu", backend="torch")
    text = "the bank said profit and shares rose"
    with recording(model) as seen:
        [record] = explain(model, [text], method="gradient-x-input", cache=False, progress=False)
    passes = [entry for entry in seen.replay if entry[0] == "pass"]
    # the output and base probabilities are one scoring call; the forward with gradients is one pass of one row
    assert [entry[1] for entry in seen.replay if entry[0] == "call"] == ["predict_proba"]
    assert len(passes) == 1 and passes[0][1] is True and seen.backward_rows == 1
    tokens = len(model.tokenizer(text)["input_ids"])
    assert passes[0][3]["inputs_embeds"].shape == (1, tokens, model.model.config.hidden_size)  # the gradients' input
    assert replay(model, passes) > 0 and len(record.scores) == 7


def test_profiled_functions_are_grouped_by_their_library():
    assert package_of("/x/lib/python3.11/site-packages/lime/lime_base.py", "fit") == "lime"
    assert package_of("~", "<method 'encode_batch' of 'tokenizers.Tokenizer' objects>") == "tokenizers"
    assert package_of("~", "<built-in method torch._C._nn.linear>") == "torch"
    assert package_of("~", "<built-in method builtins.len>") == "python"
    assert package_of("/work/main/workbench/words.py", "mask_words") == "workbench"


def test_a_model_without_a_network_is_one_line(tiny_sharp_dir):
    from workbench.errors import ParameterError

    with pytest.raises(ParameterError, match="no neural network to measure"):
        network_of(load_model("demo:lead-sentence"))
    with pytest.raises(ParameterError, match="runs on onnxruntime, whose passes cannot be counted"):
        network_of(load_model(str(tiny_sharp_dir), device="cpu", backend="onnxruntime"))


def test_a_small_table_over_classification_question_answering_and_generation(tmp_path, tiny_sharp_dir, tiny_qa_dir,
                                                                             tiny_generators):
    texts = write_csv(tmp_path / "d.csv", [(t + " and the new market data said", label) for t, label in TINY_ROWS])
    questions = squad_file(tmp_path / "q.json", qa_rows())
    sources = generation_file(tmp_path / "g.jsonl", GENERATION_ROWS)
    subjects = (
        Subject(str(tiny_sharp_dir), str(texts), ("occlusion", "lime", "integrated-gradients"), documents=2,
                num_samples={"lime": 20}),
        Subject(str(tiny_qa_dir), str(questions), ("occlusion", "gradient-x-input"), documents=2),
        Subject(str(tiny_generators["t5"]), str(sources), ("occlusion", "integrated-gradients"), documents=2,
                num_samples={"integrated-gradients": 4}),
    )
    table = run_efficiency(subjects, device="cpu")
    assert [row["task"] for row in table["rows"]] == ["classification", "question-answering", "generation"]
    for row in table["rows"]:
        assert len(row["ids"]) == 2
        for method, cell in row["methods"].items():
            assert cell["evaluations"] > 0 and cell["padded_tokens"] >= cell["evaluations"] and cell["seconds"] > 0
            assert cell["efficiency"] == pytest.approx(cell["engine_seconds"] / cell["seconds"])
            # a tiny network leaves the time to Python: every such cell says where it goes
            assert ("time_goes" in cell) == (cell["efficiency"] < table["goal"])
            if "time_goes" in cell:
                assert cell["time_goes"] and all(seconds >= 0 for seconds in cell["time_goes"].values())
    gradients = table["rows"][0]["methods"]["integrated-gradients"]
    assert gradients["backward_rows"] >= 50  # the rule's points (50 at the start), each a row with gradients
    # the rule's points nest: a document kept at p = 49 * 2**k + 1 points ran p rows with gradients (one per point on a
    # classifier), where a rule that does not nest would have run 50 + 99 + ... + p
    assert gradients["backward_rows"] == gradients["steps_evaluated"] == gradients["final_steps"]
    # and saved the 50 (+ 99 ...) points of every round but a document's last
    saved = gradients["evaluations_saved"]
    assert saved == 0 if gradients["final_steps"] == 2 * 50 else saved >= 50
    assert table["rows"][0]["methods"]["lime"]["backward_rows"] == 0
    assert table["rows"][2]["methods"]["integrated-gradients"]["backward_rows"] > 0
    assert "question-answering" in format_efficiency_table(table)
