"""Model loading: safe folders load; pickle weights, remote code and non-classifiers are refused."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from workbench import explain
from workbench.errors import ModelError, ParameterError
from workbench.models import load_model

from .conftest import TINY_LABELS


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def test_tiny_model_loads_with_label_names_and_limit(tiny_model_dir):
    model = load_model(str(tiny_model_dir), device="cpu")
    assert model.label_names == TINY_LABELS
    assert model.max_length == 24
    assert not model.model.training
    proba = model.predict_proba(["the bank said profit rose", "goal"])
    assert proba.shape == (2, 3) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)


def test_missing_folder(tmp_path):
    with pytest.raises(ModelError, match="model folder not found: .*workbench models list"):
        load_model(str(tmp_path / "nope"))


def test_a_file_is_not_a_model_folder(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"x")
    with pytest.raises(ModelError, match="is a file; give the model's folder"):
        load_model(str(tmp_path / "model.safetensors"))


def test_folder_without_config(tmp_path):
    with pytest.raises(ModelError, match="has no config.json"):
        load_model(str(tmp_path))


def test_pickle_only_weights_are_refused_with_the_conversion_command(tiny_model_dir, tmp_path):
    import torch
    from transformers import BertForSequenceClassification

    folder = _copy(tiny_model_dir, tmp_path / "pickled")
    model = BertForSequenceClassification.from_pretrained(folder)
    (folder / "model.safetensors").unlink()
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    with pytest.raises(ModelError, match=r"only pickle weights \(pytorch_model.bin\).*save_pretrained") as info:
        load_model(str(folder))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("where", ["config.json", "tokenizer_config.json"])
def test_remote_code_is_refused_and_never_runs(tiny_model_dir, tmp_path, where):
    folder = _copy(tiny_model_dir, tmp_path / "remote")
    marker = tmp_path / "remote-code-ran"
    for module in ("configuration_evil", "modeling_evil", "tokenization_evil"):
        (folder / f"{module}.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    data = json.loads((folder / where).read_text())
    data["auto_map"] = {"AutoConfig": "configuration_evil.EvilConfig", "AutoTokenizer": ["tokenization_evil.EvilTokenizer", None]}
    (folder / where).write_text(json.dumps(data))
    with pytest.raises(ModelError, match="asks for remote code"):
        load_model(str(folder))
    assert not marker.exists()


def test_unknown_architecture_is_refused(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path / "custom")
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = "evil-bert"
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="model_type 'evil-bert' is not a transformers architecture"):
        load_model(str(folder))


def test_a_base_encoder_without_classifier_head_is_refused():
    from workbench.models.demos import base_model_folder

    with pytest.raises(ModelError, match="holds BertModel, not a sequence-classification model"):
        load_model(str(base_model_folder()))


def test_unknown_demo_name():
    with pytest.raises(ModelError, match="unknown demo model 'nope'; demo models: headline-bbc, "
                                         "headline-bbc-reference, lead-sentence, lexical-qa, minilm-bbc, minilm-bbc-reference, minilm-l3-bbc, "
                                         "minilm-qa, minilm-qa-reference, smollm2-instruct, tfidf-logreg"):
        load_model("demo:nope")


def test_unknown_device(tiny_model_dir):
    with pytest.raises(ParameterError, match="unknown device 'tpu'"):
        load_model(str(tiny_model_dir), device="tpu")


def test_absent_cuda_is_an_error_not_a_fallback(tiny_model_dir):
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is present here")
    with pytest.raises(ParameterError, match="CUDA is not available"):
        load_model(str(tiny_model_dir), device="cuda")


def _sklearn_folder(tmp_path, pipeline):
    from workbench.models.scikit_learn import save_sklearn

    folder = tmp_path / "sk"
    save_sklearn(pipeline, folder)
    return folder


def test_tfidf_model_round_trips_through_skops(tmp_path):
    from workbench.datasets import load_dataset
    from workbench.demos.build import fit_tfidf_logreg

    from .conftest import write_csv

    rows = [("bank profit shares", "business"), ("team goal match", "sports"), ("phone chip software", "tech")] * 4
    pipeline = fit_tfidf_logreg(load_dataset(str(write_csv(tmp_path / "t.csv", rows))))
    folder = _sklearn_folder(tmp_path, pipeline)
    assert not list(folder.glob("*.pkl"))
    model = load_model(str(folder))
    texts = ["bank shares", "goal", "phone software"]
    assert model.label_names == ("business", "sports", "tech")
    np.testing.assert_array_equal(model.predict_proba(texts), pipeline.predict_proba(texts))
    assert model.predict_proba([]).shape == (0, 3)


def _shout(x):
    return [s.upper() for s in x]


def test_skops_file_with_untrusted_types_is_refused(tmp_path):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    pipeline = make_pipeline(FunctionTransformer(_shout), TfidfVectorizer(lowercase=False), LogisticRegression())
    pipeline.fit(["aa bb", "cc dd"] * 3, ["x", "y"] * 3)
    with pytest.raises(ModelError, match="contains types skops does not trust"):
        load_model(str(_sklearn_folder(tmp_path, pipeline)))


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_the_first_token_head_gives_the_whole_forwards_logits(tmp_path, attention):
    import torch
    from transformers import AutoModelForSequenceClassification

    from workbench.models.first_token import FirstTokenHead, first_token_runner

    from .conftest import build_tiny_bert

    folder = build_tiny_bert(tmp_path / "deep", num_hidden_layers=3, initializer_range=1.0)
    network = AutoModelForSequenceClassification.from_pretrained(folder, attn_implementation=attention).eval()
    runner = first_token_runner(network)
    assert isinstance(runner, FirstTokenHead)
    ids = torch.randint(5, network.config.vocab_size, (4, 12), generator=torch.Generator().manual_seed(0))
    mask = torch.ones_like(ids)
    mask[1, 7:], mask[3, 2:] = 0, 0  # padded rows: the [CLS] query must not read the padding
    batch = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}
    with torch.inference_mode():
        whole, first = network(**batch).logits, runner(**batch).logits
    assert whole.abs().max() > 0.5  # logits that differ between rows, so a wrong mask would show
    torch.testing.assert_close(first, whole, rtol=0, atol=1e-5)
    # a model whose head is not BERT's pooler runs whole
    from transformers import AutoModelForQuestionAnswering

    qa = AutoModelForQuestionAnswering.from_config(network.config)
    assert first_token_runner(qa) is qa
    # the loaded classifier runs it, and its probabilities are the whole forward's
    model = load_model(str(folder), device="cpu", backend="torch")
    assert isinstance(model.runner, FirstTokenHead)
    texts = ["the bank said profit rose", "goal", "the team won the match " * 6]
    with torch.inference_mode():
        encoded = model.tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
        reference = torch.softmax(model.model(**encoded).logits.double(), dim=-1).numpy()
    np.testing.assert_allclose(model.predict_proba(texts), reference, atol=1e-6)


def test_the_onnxruntime_backend_gives_torch_outputs_and_exports_once(tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    texts = ["the bank said profit rose", "goal", "the team won the match " * 6]
    torch_model = load_model(str(tiny_model_dir), device="cpu", backend="torch")
    ort_model = load_model(str(tiny_model_dir), device="cpu", backend="onnxruntime")
    np.testing.assert_allclose(ort_model.predict_proba(texts), torch_model.predict_proba(texts), atol=1e-6)
    [export] = list((tmp_path / "onnx").glob("*/model.onnx"))
    stamp = export.stat().st_mtime_ns
    load_model(str(tiny_model_dir), device="cpu", backend="onnxruntime")
    assert export.stat().st_mtime_ns == stamp
    assert ort_model.fingerprint != torch_model.fingerprint
    # each record names what computed its scores: the perturbations ran on ONNX Runtime, the gradients on torch
    occluded = explain(ort_model, texts[:1], method="occlusion", cache=False)[0]
    gradient = explain(ort_model, texts[:1], method="gradient-x-input", cache=False)[0]
    assert (occluded.params["backend"], gradient.params["backend"]) == ("onnxruntime", "torch")
    assert explain(torch_model, texts[:1], method="occlusion", cache=False)[0].params["backend"] == "torch"


def test_auto_runs_the_backend_measured_once_on_this_machine(tiny_model_dir, tmp_path, monkeypatch):
    from workbench.models.calibration import TOLERANCE, choose
    from workbench.provenance import machine

    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    texts = ["the bank said profit rose", "goal", "the team won the match " * 6]
    model = load_model(str(tiny_model_dir), device="cpu")
    [path] = list((tmp_path / "calibration").glob("backend-*.json"))
    calibration = json.loads(path.read_text())
    # the check timed both on this processor and chose by its own figures; the model runs what it chose
    assert calibration["key"]["processor"] == machine() and set(calibration["seconds"]) == {"torch", "onnxruntime"}
    assert calibration["max_abs_diff"] <= TOLERANCE
    assert model.backend == calibration["backend"] == choose(calibration["seconds"], calibration["max_abs_diff"])
    assert model.load_options.backend == model.backend  # what a Ray actor loads
    forced = load_model(str(tiny_model_dir), device="cpu", backend="torch")
    np.testing.assert_allclose(model.predict_proba(texts), forced.predict_proba(texts), atol=TOLERANCE)
    # a later load reads the choice rather than measuring again: planted, the other backend is the one that runs
    stamp = path.stat().st_mtime_ns
    assert load_model(str(tiny_model_dir), device="cpu").backend == model.backend and path.stat().st_mtime_ns == stamp
    other = {"torch": "onnxruntime", "onnxruntime": "torch"}[model.backend]
    path.write_text(json.dumps({**calibration, "backend": other}))
    planted = load_model(str(tiny_model_dir), device="cpu")
    [record] = explain(planted, texts[:1], method="lime", num_samples=20, cache=False)
    assert planted.backend == other and record.params["backend"] == other
    # no choice where ONNX Runtime does not apply: int8
    assert load_model(str(tiny_model_dir), device="cpu", precision="int8").backend == "torch"
    assert forced.backend == "torch" and len(list((tmp_path / "calibration").iterdir())) == 1


def test_onnxruntime_is_chosen_only_when_clearly_faster_and_exact():
    from workbench.models.calibration import MARGIN, TOLERANCE, choose

    assert choose({"torch": 1.0, "onnxruntime": 1.0 / MARGIN}, 0.0) == "onnxruntime"
    assert choose({"torch": 1.0, "onnxruntime": 0.9}, 0.0) == "torch"  # a near tie keeps torch
    assert choose({"torch": 1.0, "onnxruntime": 0.1}, 2 * TOLERANCE) == "torch"  # not the same probabilities


@pytest.mark.parametrize("options, message", [
    ({"backend": "tensorrt"}, "unknown backend 'tensorrt'"),
    ({"backend": "onnxruntime", "precision": "int8"}, "backend 'onnxruntime' runs fp32"),
])
def test_bad_backends(tiny_model_dir, options, message):
    with pytest.raises(ParameterError, match=message):
        load_model(str(tiny_model_dir), device="cpu", **options)
