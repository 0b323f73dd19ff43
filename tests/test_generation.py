"""Generation models: batched generation equals transformers' one-at-a-time ``model.generate``, token for token."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from workbench.errors import ModelError, ParameterError
from workbench.models import load_model
from workbench.models.generation import Generator
from workbench.records.generation import GenerationSettings

from .regression import PROBABILITY, parting_margin

SOURCES = [
    "the bank said profit and shares rose in the market",
    "goal",
    "the team won the match with a late goal and the player said the season is new",
    "new software for the phone",
    "data",
    "computer chip data and internet software said the bank",
    "economy",
]


def beam_score(generator: Generator, source: str, ids: list[int], settings: GenerationSettings) -> float:
    """The score beam search ranks a finished output by: its tokens' log-probabilities (the end-of-sequence token's too,
    where it ended early) summed and divided by its length to the power ``length_penalty`` (unset: 1), as transformers
    does."""
    tokens = [*ids, min(generator.eos_ids)] if len(ids) < settings.max_new_tokens else list(ids)
    penalty = generator.model.generation_config.length_penalty
    log_probability = np.log(generator.token_probabilities([source], tokens)[0]).sum()
    return float(log_probability / len(tokens) ** (1.0 if penalty is None else penalty))


def assert_same_but_for_near_ties(generator: Generator, sources, ours, reference, settings: GenerationSettings) -> None:
    """Two runs' outputs are equal token for token, or part only at a near tie (``regression.PROBABILITY``).

    Other batches pad the texts otherwise, so the kernels add in another order and may decide a tie the other way:
    greedy outputs are then as likely where they first part (``regression.parting_margin``), beam outputs score alike.
    """
    for source, a, b in zip(sources, ours, reference, strict=True):
        if a == b:
            continue
        if settings.num_beams > 1:
            margin = abs(beam_score(generator, source, a, settings) - beam_score(generator, source, b, settings))
        else:
            margin = parting_margin(generator, source, a, b)
        assert PROBABILITY.tie(margin, 0.0), f"{source!r}: {a} and {b} part at a margin of {margin:.3g}, no near tie"


def one_at_a_time(generator: Generator, texts, settings: GenerationSettings) -> list[list[int]]:
    """transformers' ``model.generate`` on each text alone (no padding), cut as the workbench cuts: the reference."""
    rows = []
    for text in texts:
        encoded = generator.tokenizer([text], return_tensors="pt", truncation=True, max_length=generator.max_length)
        output = generator.model.generate(input_ids=encoded["input_ids"], attention_mask=encoded["attention_mask"], max_new_tokens=settings.max_new_tokens,
                                          num_beams=settings.num_beams, pad_token_id=generator.pad_id)
        rows.append(generator.new_tokens(output[0].tolist(), encoded["input_ids"].shape[1]))
    return rows


@pytest.mark.parametrize("name", ["t5", "marian", "gpt2"])
@pytest.mark.parametrize("num_beams", [1, 3])
def test_batched_generation_equals_one_text_at_a_time(tiny_generators, name, num_beams):
    generator = load_model(str(tiny_generators[name]), device="cpu", token_budget=96)  # a small budget: several batches of mixed lengths
    assert isinstance(generator, Generator) and generator.task == "generation"
    assert generator.encoder_decoder == (name != "gpt2")
    settings = GenerationSettings(max_new_tokens=10, num_beams=num_beams)
    batched = generator.generate_ids(SOURCES, settings)
    assert_same_but_for_near_ties(generator, SOURCES, batched, one_at_a_time(generator, SOURCES, settings), settings)
    if name != "marian":  # the tiny random Marian says the same for every source; T5 and GPT-2 read theirs
        assert len({tuple(ids) for ids in batched}) > 1, "the tiny model should not say the same thing for every source"
    texts = generator.generate(SOURCES, max_new_tokens=10, num_beams=num_beams)
    assert texts == [generator.decode(ids) for ids in batched]


def test_outputs_that_part_are_equal_only_at_a_near_tie(tiny_generators):
    """The margin where two outputs part is the gap between the model's two probabilities there; a real gap fails."""
    generator = load_model(str(tiny_generators["t5"]), device="cpu")
    settings = GenerationSettings(max_new_tokens=6)
    [ids] = generator.generate_ids(SOURCES[:1], settings)
    vocabulary = range(generator.model.config.vocab_size)
    first = [generator.token_probabilities(SOURCES[:1], [token])[0, 0] for token in vocabulary]
    top, runner_up = np.argsort(first)[::-1][:2].tolist()
    assert ids[0] == top
    margin = parting_margin(generator, SOURCES[0], ids, [runner_up])
    assert margin == pytest.approx(first[top] - first[runner_up], abs=1e-12)
    assert_same_but_for_near_ties(generator, SOURCES[:1], [ids], [list(ids)], settings)
    with pytest.raises(AssertionError, match="no near tie"):
        assert_same_but_for_near_ties(generator, SOURCES[:1], [ids], [[runner_up]], settings)
    with pytest.raises(AssertionError, match="no near tie"):
        beams = GenerationSettings(max_new_tokens=6, num_beams=2)
        assert_same_but_for_near_ties(generator, SOURCES[:1], [ids], [[runner_up]], beams)


@pytest.mark.gpu
@pytest.mark.parametrize("name", ["t5", "gpt2"])
def test_generation_on_cuda_agrees_with_cpu(tiny_generators, name):
    """fp32 on CUDA: the CPU's tokens, batched, in input order; bf16 autocast (the CUDA default): probabilities within bf16's rounding."""
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    cpu = load_model(str(tiny_generators[name]), device="cpu")
    settings = GenerationSettings(max_new_tokens=10, num_beams=2)
    exact = load_model(str(tiny_generators[name]), device="cuda", precision="fp32", token_budget=96)
    on_cpu = cpu.generate_ids(SOURCES, settings)
    assert_same_but_for_near_ties(cpu, SOURCES, exact.generate_ids(SOURCES, settings), on_cpu, settings)
    fast = load_model(str(tiny_generators[name]), device="cuda")
    assert fast.autocast in (torch.bfloat16, torch.float16)
    outputs = fast.generate_ids(SOURCES, GenerationSettings(max_new_tokens=10))
    assert len(outputs) == len(SOURCES) and any(outputs)  # an output may be empty: the model can say its end first
    for text, ids in ((t, ids) for t, ids in zip(SOURCES, outputs) if ids):
        np.testing.assert_allclose(fast.token_probabilities([text], ids)[0], cpu.token_probabilities([text], ids)[0], atol=5e-2)


def test_budget_and_chunking_do_not_change_outputs(tiny_generators):
    """One batch per text, one batch for all, and streaming over an iterator give the same tokens in input order."""
    settings = GenerationSettings(max_new_tokens=8, num_beams=2)
    alone = load_model(str(tiny_generators["gpt2"]), device="cpu", batch_size=1).generate_ids(SOURCES, settings)
    together = load_model(str(tiny_generators["gpt2"]), device="cpu", token_budget=100_000)
    assert_same_but_for_near_ties(together, SOURCES, together.generate_ids(SOURCES, settings), alone, settings)
    streamed = [ids for chunk in together.iter_generate_ids(iter(SOURCES), settings) for ids in chunk]
    assert streamed == alone


def test_sampling_is_seeded_and_independent_of_batch_neighbours(tiny_generators):
    import torch

    generator = load_model(str(tiny_generators["t5"]), device="cpu")
    first = generator.generate(SOURCES, max_new_tokens=8, do_sample=True, seed=3)
    assert generator.generate(SOURCES, max_new_tokens=8, do_sample=True, seed=3) == first
    assert generator.generate(SOURCES[2:3], max_new_tokens=8, do_sample=True, seed=3) == first[2:3]
    assert generator.generate(SOURCES, max_new_tokens=8, do_sample=True, seed=4) != first
    state = torch.random.get_rng_state()
    generator.generate(SOURCES[:1], max_new_tokens=4, do_sample=True, seed=5)
    assert torch.equal(torch.random.get_rng_state(), state), "sampling must leave the caller's random state as it was"


def test_generation_settings_are_checked():
    with pytest.raises(ParameterError, match="max_new_tokens must be a whole number of at least 1"):
        GenerationSettings(max_new_tokens=0)
    with pytest.raises(ParameterError, match="sampling runs with num_beams=1"):
        GenerationSettings(num_beams=2, do_sample=True)
    assert GenerationSettings(max_new_tokens=5).to_dict() == {"max_new_tokens": 5, "num_beams": 1, "do_sample": False, "seed": 0}


def test_encoder_decoder_without_decoder_start_gets_a_one_line_fix(tmp_path):
    """A BERT2BERT folder saved from EncoderDecoderModel has no decoder_start_token_id; the error's command adds it, and then it loads."""
    from transformers import BertConfig, EncoderDecoderConfig, EncoderDecoderModel

    from .conftest import TINY_WORDS, tiny_wordpiece

    encoder = BertConfig(vocab_size=len(TINY_WORDS) + 5, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                         max_position_embeddings=64)
    decoder = BertConfig(**{**encoder.to_dict(), "is_decoder": True, "add_cross_attention": True})
    folder = tmp_path / "bert2bert"
    EncoderDecoderModel(EncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)).save_pretrained(folder)
    tiny_wordpiece(folder).save_pretrained(folder)
    with pytest.raises(ModelError) as error:
        load_model(str(folder), device="cpu")
    message = str(error.value)
    assert "\n" not in message and "without decoder_start_token_id" in message
    command = message.split("add it once with: ", 1)[1].split(" (here", 1)[0]
    assert command.startswith("python -c ")
    subprocess.run([sys.executable, "-c", command[len('python -c "'):-1]], check=True)
    generator = load_model(str(folder), device="cpu")
    assert generator.model.generation_config.decoder_start_token_id == 2  # the tokenizer's [CLS]
    assert len(generator.generate(SOURCES[:2], max_new_tokens=4)) == 2


def test_window_mode_is_refused_for_generators(tiny_generators):
    with pytest.raises(ParameterError, match="a generator reads its sources cut at 48 tokens, so leave --long-text truncate"):
        load_model(str(tiny_generators["t5"]), device="cpu", long_text="window")


def test_a_classifier_folder_is_not_a_generator(tiny_model_dir):
    from workbench.models.folders import check_model_folder

    with pytest.raises(ModelError, match="not a text-generation model"):
        check_model_folder(tiny_model_dir, "generation")


def test_token_probabilities_are_the_probabilities_generate_chose_with(tiny_generators):
    """Teacher-forced probabilities of the greedy output equal the softmax of generate's own scores at each step."""
    import torch

    for name in ("t5", "gpt2"):
        generator = load_model(str(tiny_generators[name]), device="cpu")
        ids = generator.generate_ids(SOURCES[:1], GenerationSettings(max_new_tokens=6))[0]
        encoded = generator.tokenizer(SOURCES[:1], return_tensors="pt")
        output = generator.model.generate(input_ids=encoded["input_ids"], attention_mask=encoded["attention_mask"], max_new_tokens=6,
                                          output_scores=True, return_dict_in_generate=True, pad_token_id=generator.pad_id)
        chosen = [float(torch.softmax(score[0].double(), -1)[token]) for score, token in zip(output.scores, ids)]
        probabilities = generator.token_probabilities(SOURCES[:1] * 2, ids)
        assert probabilities.shape == (2, len(ids)) and probabilities[0] == pytest.approx(chosen, abs=1e-5)
        assert probabilities[1] == pytest.approx(probabilities[0])


GENERATION_ROWS = [
    {"id": "d0", "source": "the bank said profit and shares rose in the market", "reference": "bank profit rose"},
    {"id": "d1", "source": "the team won the match with a late goal", "reference": "team wins match"},
    {"id": "d2", "source": "new software for the phone and online game", "reference": "phone software"},
    {"id": "d3", "source": "computer chip data and internet software", "reference": "new chip"},
]


def generation_file(path, rows=GENERATION_ROWS, *, references=False):
    """Rows written as .jsonl, .csv or .parquet (``references``: a list per row instead of one reference)."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    if references:
        frame = frame.assign(references=[[r, r.upper()] for r in frame.pop("reference")])
    if path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    elif path.suffix == ".csv":
        if references:
            frame["references"] = frame["references"].map(json.dumps)
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
    return path


@pytest.mark.parametrize("form, references", [("d.jsonl", False), ("d.csv", False), ("d.parquet", False), ("d.jsonl", True), ("d.csv", True)])
def test_evaluate_a_generator_and_recompute_every_figure_from_its_predictions(cli, tmp_path, tiny_generators, form, references):
    import sacrebleu
    from rouge_score import rouge_scorer

    data = generation_file(tmp_path / form, references=references)
    out = tmp_path / "out"
    result = cli("evaluate", "--model", tiny_generators["t5"], "--data", data, "--out", out, "--max-new-tokens", "6", "--num-beams", "2")
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    lines = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert [line["id"] for line in lines] == ["d0", "d1", "d2", "d3"] and metrics["n"] == 4
    assert metrics["generation"] == {"max_new_tokens": 6, "num_beams": 2, "do_sample": False, "seed": 0}
    assert len(lines[0]["references"]) == (2 if references else 1) and lines[0]["reference"] == lines[0]["references"][0]
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"], use_stemmer=True)
    for name in ("rouge1", "rouge2", "rougeL", "rougeLsum"):
        per_document = [max(scorer.score(r, line["prediction"])[name].fmeasure for r in line["references"]) for line in lines]
        assert [line[name] for line in lines] == pytest.approx(per_document) and metrics[name] == pytest.approx(sum(per_document) / 4)
    predictions = [line["prediction"] for line in lines]
    streams = [[line["references"][k] for line in lines] for k in range(len(lines[0]["references"]))]
    bleu = sacrebleu.corpus_bleu(predictions, streams)
    assert metrics["bleu"] == pytest.approx(bleu.score) and metrics["chrf"] == pytest.approx(sacrebleu.corpus_chrf(predictions, streams).score)
    assert metrics["length_ratio"] == pytest.approx(bleu.sys_len / bleu.ref_len)
    assert set(metrics["ci"]) == {"rouge1", "rouge2", "rougeL", "rougeLsum", "bleu", "chrf", "length_ratio"}
    assert metrics["signatures"]["bleu"].startswith("nrefs:") and metrics["provenance"]["packages"]["sacrebleu"] == sacrebleu.__version__


def test_column_options_name_the_source_and_reference_columns(cli, tmp_path, tiny_generators):
    from workbench.datasets import load_dataset

    rows = [{"key": r["id"], "article": r["source"], "summary": r["reference"]} for r in GENERATION_ROWS]
    data = generation_file(tmp_path / "d.jsonl", rows)
    dataset = load_dataset(str(data), source_column="article", reference_column="summary", id_column="key")
    assert dataset.task == "generation" and dataset.ids == ("d0", "d1", "d2", "d3") and dataset.references[1] == ("team wins match",)
    result = cli("evaluate", "--model", tiny_generators["gpt2"], "--data", data, "--out", tmp_path / "out", "--source-column", "article",
                 "--reference-column", "summary", "--id-column", "key", "--max-new-tokens", "3")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("rows, message", [
    ([{"id": "a", "source": "x"}], "needs a 'reference' or 'references' column beside 'source'"),
    ([{"id": "a", "source": " ", "reference": "r"}], "row 0 (id 'a') has an empty 'source'"),
    ([{"id": "a", "source": "s", "reference": ""}], "row 0 (id 'a') has no usable 'reference'"),
    ([{"id": "a", "source": "s", "reference": "r"}, {"id": "a", "source": "t", "reference": "r"}], "id 'a' occurs more than once"),
    ([{"id": "a", "source": "s", "references": "[\"r\", 3"}], "starts like a JSON list but is not one"),
])
def test_a_bad_generation_file_is_one_line_exit_2_and_nothing_written(cli, tmp_path, tiny_generators, rows, message):
    data = generation_file(tmp_path / "bad.csv", rows)
    result = cli("evaluate", "--model", tiny_generators["t5"], "--data", data, "--out", tmp_path / "out")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and message in result.stderr, result.output
    assert not (tmp_path / "out").exists()


def test_a_generator_and_data_of_another_task_is_exit_2(cli, tmp_path, tiny_generators, tiny_model_dir, tiny_csv):
    data = generation_file(tmp_path / "d.jsonl")
    for model, dataset, message in ((tiny_model_dir, data, "is a classification model but"), (tiny_generators["t5"], tiny_csv, "is a generation model but")):
        result = cli("evaluate", "--model", model, "--data", dataset, "--out", tmp_path / "out")
        assert result.exit_code == 2 and message in result.stderr and result.stderr.count("\n") == 1, result.output
        assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["t5", "gpt2"])
def test_token_attributions_are_byte_identical_for_a_seed_and_score_what_they_claim(tiny_generators, name):
    from workbench.explainers.generation import token_explainer
    from workbench.io import dumps_json
    from workbench.words import mask_words, split_words

    generator = load_model(str(tiny_generators[name]), device="cpu")
    source = SOURCES[2]
    settings = GenerationSettings(max_new_tokens=4)
    occlusion = token_explainer("occlusion", generator, settings=settings).explain("d", source)
    assert occlusion.source_words == split_words(source)[:len(occlusion.source_words)] and len(occlusion.scores) == len(occlusion.generated_ids)
    words = len(split_words(source))
    without_first = generator.token_probabilities([mask_words(source, [j != 0 for j in range(words)])], list(occlusion.generated_ids))[0]
    assert [row[0] for row in occlusion.scores] == pytest.approx(list(np.array(occlusion.probabilities) - without_first), abs=1e-6)
    gradients = token_explainer("integrated-gradients", generator, settings=settings, num_samples=16).explain("d", source)
    assert gradients.generated_ids == occlusion.generated_ids and gradients.parameters["n_steps"] == 16
    assert len(gradients.diagnostics["relative_error"]) == len(gradients.generated_ids)
    if name == "gpt2":  # decoder-only: earlier generated tokens are scored too, never later ones
        for record in (occlusion, gradients):
            assert all(record.prefix_scores[t][k] == 0 for t in range(4) for k in range(t, 4))
            assert any(record.prefix_scores[t][k] != 0 for t in range(4) for k in range(t))
    else:
        assert occlusion.prefix_scores is None
    for method, record in (("occlusion", occlusion), ("integrated-gradients", gradients)):
        again = token_explainer(method, generator, settings=settings, num_samples=16 if method != "occlusion" else None).explain("d", source)
        assert dumps_json(again.to_dict()) == dumps_json(record.to_dict())


def test_workbench_explain_and_compare_on_generators(cli, tmp_path, tiny_generators):
    import pandas

    from workbench.models.lead_sentence import save_lead_sentence

    from .browser import in_chromium

    data = generation_file(tmp_path / "d.jsonl")
    result = cli("explain", "--model", tiny_generators["t5"], "--data", data, "--out", tmp_path / "explain", "--n", "2", "--max-new-tokens", "4",
                 "--num-samples", "8")
    assert result.exit_code == 0, result.output
    study = json.loads((tmp_path / "explain" / "faithfulness.json").read_text())
    assert study["methods"] == ["occlusion", "integrated-gradients"] and study["ids"] == ["d0", "d3"]
    for scores in study["faithfulness"].values():
        assert scores["documents"] == 2 and scores["tokens"] >= 2 and scores["advantage"] == pytest.approx(scores["comprehensiveness"] - scores["random"])
    lines = [json.loads(line) for line in (tmp_path / "explain" / "token_attributions.jsonl").read_text().splitlines()]
    assert [(line["id"], line["method"]) for line in lines] == [("d0", "occlusion"), ("d0", "integrated-gradients"), ("d3", "occlusion"),
                                                                ("d3", "integrated-gradients")]
    # the heatmap: every cell coloured by its score, the number on hover, every number in token_attributions.csv
    numbers = pandas.read_csv(tmp_path / "explain" / "token_attributions.csv", keep_default_na=False)
    shapes = [(len(line["source_words"]), len(line["generated"])) for line in lines]  # encoder-decoder: no prefix
    assert len(numbers) == sum(words * tokens for words, tokens in shapes)
    by_row = [line["scores"][t][j] for line, (words, tokens) in zip(lines, shapes)
              for j in range(words) for t in range(tokens)]
    assert numbers["score"].tolist() == pytest.approx(by_row)
    page = tmp_path / "explain" / "index.html"
    cells = in_chromium(page, ".wb-heatmap td", "e => [getComputedStyle(e).backgroundColor, e.title, e.innerText]")
    assert len(cells) == len(numbers) and all(text == "" for _, _, text in cells)  # colour only; the number on hover
    hovered = [float(title.rsplit(": ", 1)[1]) for _, title, _ in cells]
    assert hovered == pytest.approx(numbers["score"].tolist(), abs=1e-5)
    painted = [colour for colour, _, _ in cells if colour not in ("rgba(0, 0, 0, 0)", "transparent")]
    assert len(painted) == len(cells)
    assert any("220, 60, 40" in c for c in painted) and any("40, 110, 220" in c for c in painted)  # red and blue
    assert in_chromium(page, "a[download]", "e => e.getAttribute('href')") == ["token_attributions.csv"]
    result = cli("explain", "--model", tiny_generators["t5"], "--data", data, "--out", tmp_path / "lime", "--method", "lime")
    assert result.exit_code == 2 and "does not explain generated tokens" in result.stderr and not (tmp_path / "lime").exists()
    save_lead_sentence(tmp_path / "lead")
    result = cli("explain", "--model", tmp_path / "lead", "--data", data, "--out", tmp_path / "rule")
    assert result.exit_code == 2 and "rule without token probabilities" in result.stderr and not (tmp_path / "rule").exists()
    result = cli("compare", "--models", tiny_generators["t5"], tmp_path / "lead", "--data", data, "--out", tmp_path / "compare", "--max-new-tokens", "4")
    assert result.exit_code == 0, result.output
    compare = json.loads((tmp_path / "compare" / "compare.json").read_text())
    assert compare["task"] == "generation" and len(compare["pairwise"]) == 1 and compare["pairwise"][0]["n"] == 4
    pair = compare["pairwise"][0]
    assert pair["rougeL_diff"] == pytest.approx(compare["metrics"][str(tiny_generators["t5"])]["rougeL"] - compare["metrics"][str(tmp_path / "lead")]["rougeL"])
    assert pair["wins_a"] + pair["wins_b"] + pair["ties"] == 4
    lead = [json.loads(line) for line in (tmp_path / "compare" / compare["predictions"][str(tmp_path / "lead")]).read_text().splitlines()]
    assert [line["prediction"] for line in lead] == [r["source"].split()[:4] and " ".join(r["source"].split()[:4]) for r in GENERATION_ROWS]
    assert sum(s["n"] for s in compare["slices"][str(tmp_path / "lead")]) == 4


def hostile_vocabulary(folder: Path, dest: Path, payloads) -> Path:
    """A copy of a tiny WordPiece model whose every other word token is renamed to a hostile string, so it generates hostile text."""
    import shutil

    from .conftest import TINY_WORDS

    shutil.copytree(folder, dest)
    names = {word: f"{payloads[i % len(payloads)]}{i}" for i, word in enumerate(TINY_WORDS) if i % 2}
    tokenizer = json.loads((dest / "tokenizer.json").read_text(encoding="utf-8"))
    tokenizer["model"]["vocab"] = {names.get(token, token): i for token, i in tokenizer["model"]["vocab"].items()}
    (dest / "tokenizer.json").write_text(json.dumps(tokenizer), encoding="utf-8")
    lines = (dest / "vocab.txt").read_text(encoding="utf-8").splitlines()
    (dest / "vocab.txt").write_text("\n".join(names.get(line, line) for line in lines) + "\n", encoding="utf-8")
    return dest


def test_generation_pages_with_hostile_text_stay_inert_in_chromium(cli, tmp_path, tiny_generators):
    from .browser import chromium_dom
    from .test_render import PAYLOADS, assert_inert

    rows = [{"id": PAYLOADS[2], "source": f"{PAYLOADS[0]} the bank said {PAYLOADS[1]} profit rose", "reference": PAYLOADS[4]},
            {"id": "d1", "source": f"the team {PAYLOADS[3]} won the match", "reference": f"team {PAYLOADS[0]}"}]
    data = generation_file(tmp_path / "d.jsonl", rows)
    model = hostile_vocabulary(tiny_generators["t5"], tmp_path / "hostile-t5", PAYLOADS)
    result = cli("explain", "--model", model, "--data", data, "--out", tmp_path / "explain", "--n", "2", "--max-new-tokens", "8", "--num-samples", "8")
    assert result.exit_code == 0, result.output
    generated = [json.loads(line)["generated"] for line in (tmp_path / "explain" / "token_attributions.jsonl").read_text().splitlines()]
    assert any("<" in token or '"' in token for tokens in generated for token in tokens), "the outputs should hold hostile tokens"
    from workbench.models.lead_sentence import save_lead_sentence

    save_lead_sentence(tmp_path / "lead")
    result = cli("compare", "--models", model, tmp_path / "lead", "--data", data, "--out", tmp_path / "compare", "--max-new-tokens", "8")
    assert result.exit_code == 0, result.output
    for page in (tmp_path / "explain" / "index.html", tmp_path / "compare" / "compare.html"):
        assert_inert(page.read_text(encoding="utf-8"), images=0)
        dom = chromium_dom(page)
        assert 'id="pwned"' not in dom and "<title>pwned</title>" not in dom
        assert_inert(dom.split("<body", 1)[1], images=0)


def test_the_generation_report_notebook_gives_the_command_lines_scores_in_a_real_kernel(cli, tmp_path, tiny_generators):
    from workbench.models.lead_sentence import save_lead_sentence
    from workbench.report import run_report

    from .browser import chromium_dom, in_chromium

    data = generation_file(tmp_path / "d.jsonl")
    save_lead_sentence(tmp_path / "lead")
    result = cli("evaluate", "--model", tiny_generators["t5"], "--data", data, "--out", tmp_path / "cli", "--max-new-tokens", "5")
    assert result.exit_code == 0, result.output
    notebook = Path(__file__).resolve().parent.parent / "notebooks" / "generate.ipynb"
    report = run_report(notebook, tmp_path / "report", {"model": str(tiny_generators["t5"]), "data": str(data), "baseline": str(tmp_path / "lead"),
                                                         "max_new_tokens": 5, "explain_n": 2})
    metrics = json.loads((tmp_path / "report" / "metrics.json").read_text())
    expected = json.loads((tmp_path / "cli" / "metrics.json").read_text())
    assert {k: metrics[k] for k in ("rouge1", "rougeL", "bleu", "chrf", "ci")} == {k: expected[k] for k in ("rouge1", "rougeL", "bleu", "chrf", "ci")}
    assert (tmp_path / "report" / "predictions.jsonl").read_bytes() == (tmp_path / "cli" / "predictions.jsonl").read_bytes()
    assert metrics["comparison"]["pairwise"][0]["n"] == 4 and metrics["explanations"]["methods"] == ["occlusion", "integrated-gradients"]
    assert report.manifest["headline"]["n"] == 4 and "ROUGE-1" in report.manifest["headline"]
    markup = report.html.read_text(encoding="utf-8")
    assert "<script" not in markup and "import workbench" not in markup and "wb-heatmap" in markup and "Worst 4 documents" in markup
    assert chromium_dom(report.html).count("<table") >= 8
    # the report keeps the heatmap's colours through its sanitiser, and links the numbers it wrote
    cells = in_chromium(report.html, ".wb-heatmap td", "e => [getComputedStyle(e).backgroundColor, e.title]")
    unpainted = [title for colour, title in cells if "220, 60, 40" not in colour and "40, 110, 220" not in colour]
    assert cells and all(float(title.rsplit(": ", 1)[1]) == 0 for title in unpainted), unpainted  # 0: transparent
    [href] = in_chromium(report.html, "a[download]", "e => e.getAttribute('href')")
    assert (report.html.parent / href).is_file() and href == "explanations/token_attributions.csv"
