"""The command line: help everywhere, exit 2 with one stderr line and nothing written for bad
input, and evaluation files whose figures equal scikit-learn's on the written predictions."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as sk

from .conftest import write_csv

COMMANDS = [[], ["evaluate"], ["predict"], ["explain"], ["compare"], ["bench"], ["bench-gpu"], ["data"], ["data", "list"],
            ["models"], ["models", "list"], ["models", "path"], ["models", "build-demo"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "workbench")
def test_every_command_has_help(cli, command):
    result = cli(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.stdout


def _bad_models(tmp_path: Path, tiny_model_dir: Path) -> dict[str, Path | str]:
    pickled = shutil.copytree(tiny_model_dir, tmp_path / "pickled")
    (pickled / "model.safetensors").rename(pickled / "pytorch_model.bin")
    remote = shutil.copytree(tiny_model_dir, tmp_path / "remote")
    config = json.loads((remote / "config.json").read_text())
    config["auto_map"] = {"AutoModelForSequenceClassification": "modeling_evil.EvilModel"}
    (remote / "config.json").write_text(json.dumps(config))
    return {"missing model folder": tmp_path / "no-such-model", "pickle-only weights": pickled, "remote code": remote, "unknown demo": "demo:gpt-17"}


def _bad_data(tmp_path: Path) -> dict[str, Path | str]:
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "header.csv").write_text("text,label\n")
    (tmp_path / "latin1.csv").write_bytes("text,label\ncaf\xe9,business\n".encode("latin-1"))
    return {
        "missing data file": tmp_path / "missing.csv",
        "empty data file": tmp_path / "empty.csv",
        "header-only data file": tmp_path / "header.csv",
        "non-UTF-8 data file": tmp_path / "latin1.csv",
        "missing text column": write_csv(tmp_path / "body.csv", [("the bank", "business")], header="body,label"),
        "unknown label": write_csv(tmp_path / "cooking.csv", [("the bank", "business"), ("a", "cooking")]),
        "unknown split": "bbc-news:dev",
    }


MESSAGES = {
    "missing model folder": "model folder not found",
    "pickle-only weights": "only pickle weights",
    "remote code": "asks for remote code",
    "unknown demo": "unknown demo model 'gpt-17'",
    "missing data file": "data file not found",
    "empty data file": "is empty",
    "header-only data file": "has a header but no rows",
    "non-UTF-8 data file": "is not valid UTF-8",
    "missing text column": "no 'text' column",
    "unknown label": r"\['cooking'\] are unknown to the model",
    "unknown split": "unknown split 'dev'",
}


@pytest.mark.parametrize("case", sorted(MESSAGES))
def test_bad_input_exits_2_with_one_line_and_writes_nothing(cli, tmp_path, tiny_model_dir, tiny_csv, case):
    models, data = _bad_models(tmp_path, tiny_model_dir), _bad_data(tmp_path)
    model, dataset = models.get(case, tiny_model_dir), data.get(case, tiny_csv)
    out = tmp_path / "out"
    result = cli("evaluate", "--model", model, "--data", dataset, "--out", out)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    import re

    assert re.search(MESSAGES[case], lines[0])
    assert "Traceback" not in result.output
    assert not (out / "metrics.json").exists() and not out.exists()


def test_one_row_csv_with_a_known_label_works(cli, tmp_path, tiny_model_dir):
    data = write_csv(tmp_path / "one.csv", [("the bank said profit rose", "business")])
    result = cli("evaluate", "--model", tiny_model_dir, "--data", data, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["n"] == 1 and metrics["ci"] == {"accuracy": None, "f1_macro": None, "ece": None}


def test_evaluate_writes_files_that_match_sklearn_and_reruns_identically(cli, tmp_path, tiny_model_dir, tiny_csv):
    out = tmp_path / "out"
    args = ("evaluate", "--model", tiny_model_dir, "--data", tiny_csv, "--out", out, "--seed", "3", "--batch-size", "3")
    result = cli(*args)
    assert result.exit_code == 0, result.output
    assert "accuracy=" in result.stdout
    written = sorted(p.name for p in out.iterdir())
    assert written == ["confusion_matrix.png", "metrics.json", "predictions.csv", "reliability.png"]
    assert (out / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    metrics = json.loads((out / "metrics.json").read_text())
    frame = pd.read_csv(out / "predictions.csv", dtype={"id": str})
    assert list(frame.columns) == ["id", "label", "prediction", "p_business", "p_sports", "p_tech"]
    assert_metrics_match_predictions(metrics, frame)
    first = (out / "metrics.json").read_bytes()
    assert cli(*args).exit_code == 0
    assert (out / "metrics.json").read_bytes() == first
    assert not list(out.glob(".*.tmp"))


def assert_metrics_match_predictions(metrics: dict, frame: pd.DataFrame) -> None:
    """Every figure of metrics.json recomputed by scikit-learn from predictions.csv."""
    y, yhat = frame["label"].tolist(), frame["prediction"].tolist()
    names = metrics["label_names"]
    proba = frame[[f"p_{n}" for n in names]].to_numpy()
    assert metrics["n"] == len(frame)
    assert metrics["accuracy"] == sk.accuracy_score(y, yhat)
    for avg in ("macro", "micro", "weighted"):
        p, r, f, _ = sk.precision_recall_fscore_support(y, yhat, average=avg, zero_division=0)
        assert (metrics[f"precision_{avg}"], metrics[f"recall_{avg}"], metrics[f"f1_{avg}"]) == (p, r, f)
    p, r, f, s = sk.precision_recall_fscore_support(y, yhat, labels=names, average=None, zero_division=0)
    for i, name in enumerate(names):
        assert metrics["per_class"][name] == {"precision": p[i], "recall": r[i], "f1": f[i], "support": s[i]}
    assert metrics["confusion_matrix"] == {"labels": names, "matrix": sk.confusion_matrix(y, yhat, labels=names).tolist()}
    ordered = sorted(names)  # scikit-learn reads probability columns in sorted label order
    proba_sorted = frame[[f"p_{n}" for n in ordered]].to_numpy()
    assert metrics["log_loss"] == sk.log_loss(y, proba_sorted, labels=ordered)
    assert metrics["brier_score"] == sk.brier_score_loss(y, proba_sorted, labels=ordered)
    assert metrics["balanced_accuracy"] == sk.balanced_accuracy_score(y, yhat)
    assert np.array_equal(np.array(names)[proba.argmax(axis=1)], np.array(yhat))


def test_console_script_reports_user_errors_without_traceback(tmp_path):
    script = Path(sys.executable).with_name("workbench")
    result = subprocess.run([str(script), "evaluate", "--model", str(tmp_path / "x"), "--data", "bbc-news:test", "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "model folder not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_data_list_shows_sizes(cli):
    result = cli("data", "list")
    assert result.exit_code == 0
    assert "bbc-news: 2225 documents (train 1602, validation 178, test 445)" in result.stdout


def test_models_list_and_unknown_names(cli):
    listing = cli("models", "list")
    assert listing.exit_code == 0 and all(f"demo:{n}" in listing.stdout for n in ("minilm-bbc", "minilm-l3-bbc", "tfidf-logreg"))
    for command in (["models", "path", "nope"], ["models", "build-demo", "nope"]):
        result = cli(*command)
        assert result.exit_code == 2 and "unknown demo model 'nope'" in result.stderr


def test_bad_device_and_batch_size(cli, tmp_path, tiny_model_dir, tiny_csv):
    result = cli("evaluate", "--model", tiny_model_dir, "--data", tiny_csv, "--out", tmp_path / "o", "--device", "tpu")
    assert result.exit_code == 2 and "unknown device 'tpu'" in result.stderr
    result = cli("evaluate", "--model", tiny_model_dir, "--data", tiny_csv, "--out", tmp_path / "o", "--batch-size", "0")
    assert result.exit_code == 2 and not (tmp_path / "o").exists()


def test_predict_streams_the_same_rows_as_evaluate(cli, tmp_path, tiny_model_dir, tiny_csv):
    assert cli("evaluate", "--model", tiny_model_dir, "--data", tiny_csv, "--out", tmp_path / "eval").exit_code == 0
    result = cli("predict", "--model", tiny_model_dir, "--data", tiny_csv, "--out", tmp_path / "p.csv", "--label-column", "label")
    assert result.exit_code == 0, result.output
    assert "wrote 8 predictions" in result.stdout
    assert (tmp_path / "p.csv").read_text() == (tmp_path / "eval" / "predictions.csv").read_text()
    unlabeled = cli("predict", "--model", tiny_model_dir, "--data", tiny_csv, "--out", tmp_path / "u.csv")
    assert unlabeled.exit_code == 0
    frame = pd.read_csv(tmp_path / "u.csv", keep_default_na=False)
    assert len(frame) == 8 and set(frame["label"]) == {""}


def test_outputs_of_the_wrong_kind_are_refused(cli, tmp_path, tiny_model_dir, tiny_csv):
    result = cli("predict", "--model", tiny_model_dir, "--data", tiny_csv, "--out", tmp_path)
    assert result.exit_code == 2 and "must be a .csv or .parquet file path" in result.stderr
    result = cli("evaluate", "--model", tiny_model_dir, "--data", tiny_csv, "--out", tiny_csv)
    assert result.exit_code == 2 and "is a file; give a folder" in result.stderr
    result = cli("bench", "--out", tiny_csv)
    assert result.exit_code == 2 and "is a file; give a folder" in result.stderr


@pytest.mark.parametrize("options", [["--precision", "int8"], ["--long-text", "window", "--stride", "4"], ["--token-budget", "30"]])
def test_engine_options_on_the_command_line(cli, tmp_path, tiny_model_dir, tiny_csv, options):
    result = cli("evaluate", "--model", tiny_model_dir, "--data", tiny_csv, "--out", tmp_path / "o", *options)
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "o" / "metrics.json").read_text())["n"] == 8


def test_int8_on_a_scikit_learn_model_is_refused(cli, tmp_path, tiny_csv):
    from workbench.datasets import load_dataset
    from workbench.demos.build import fit_tfidf_logreg
    from workbench.models.scikit_learn import save_sklearn

    save_sklearn(fit_tfidf_logreg(load_dataset(str(tiny_csv))), tmp_path / "sk")
    result = cli("evaluate", "--model", tmp_path / "sk", "--data", tiny_csv, "--out", tmp_path / "o", "--precision", "int8")
    assert result.exit_code == 2 and "applies to transformer models" in result.stderr


EXPLAIN_FILES = ["attributions.jsonl", "faithfulness.json", "index.html"]


def test_explain_writes_attributions_faithfulness_and_a_page_byte_identically(cli, tmp_path, tiny_sharp_dir, tiny_csv):
    args = ["explain", "--model", tiny_sharp_dir, "--data", tiny_csv, "--label-column", "label", "--method", "lime", "--method", "shap",
            "--n", "3", "--num-samples", "30", "--seed", "5", "--no-cache"]
    first = cli(*args, "--out", tmp_path / "a")
    assert first.exit_code == 0, first.output
    assert "comprehensiveness" in first.stdout and "(random" in first.stdout
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == EXPLAIN_FILES
    assert cli(*args, "--out", tmp_path / "b").exit_code == 0
    for name in EXPLAIN_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    lines = [json.loads(line) for line in (tmp_path / "a" / "attributions.jsonl").read_text().splitlines()]
    assert [(r["id"], r["method"]) for r in lines] == [(i, m) for i in ("0", "4", "7") for m in ("lime", "shap")]
    assert all(r["params"]["seed"] == (5 if r["method"] == "lime" else None) and r["params"]["num_samples"] == 30 for r in lines)
    summary = json.loads((tmp_path / "a" / "faithfulness.json").read_text())
    assert summary["n"] == 3 and set(summary["faithfulness"]) == {"lime", "shap"}
    assert cli(*args[:-3], "--seed", "6", "--no-cache", "--out", tmp_path / "c").exit_code == 0
    other = [json.loads(line) for line in (tmp_path / "c" / "attributions.jsonl").read_text().splitlines()]
    assert [r["scores"] for r in other if r["method"] == "lime"] != [r["scores"] for r in lines if r["method"] == "lime"]


def test_explain_a_windowed_model_explains_every_window(cli, tmp_path, tiny_sharp_dir):
    from .conftest import write_csv
    from .test_explainers import LONG

    data = write_csv(tmp_path / "long.csv", [(LONG, "business"), ("the team won", "sports")])
    result = cli("explain", "--model", tiny_sharp_dir, "--data", data, "--label-column", "label", "--method", "integrated-gradients",
                 "--method", "occlusion", "--long-text", "window", "--stride", "4", "--no-cache", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in (tmp_path / "out" / "attributions.jsonl").read_text().splitlines()]
    long_ig = lines[0]
    assert long_ig["reading"]["mode"] == "window" and len(long_ig["reading"]["windows"]) >= 2 and long_ig["visible"] == len(long_ig["words"])
    assert long_ig["diagnostics"]["converged"] and "documents within the 5 % completeness tolerance" in result.stdout
    assert "windows of 24 tokens" in (tmp_path / "out" / "index.html").read_text()


@pytest.mark.parametrize("options, message", [
    (["--method", "limes"], "Invalid value for '--method': 'limes' is not one of 'lime'"),
    (["--method", "lime", "--n", "0"], "n must be at least 1"),
    (["--method", "lime", "--num-samples", "1"], "num_samples must be at least 2"),
    (["--method", "lime", "--stability-seeds", "-1"], "stability_seeds must be 0 or more"),
])
def test_explain_bad_options_exit_2_and_write_nothing(cli, tmp_path, tiny_sharp_dir, tiny_csv, options, message):
    result = cli("explain", "--model", tiny_sharp_dir, "--data", tiny_csv, "--out", tmp_path / "out", *options)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().count("\n") == 0 and message in result.stderr
    assert not (tmp_path / "out").exists()


def test_explain_gradients_on_a_scikit_learn_model_is_a_user_error(cli, tmp_path, tiny_csv):
    from workbench.datasets import load_dataset
    from workbench.demos.build import fit_tfidf_logreg
    from workbench.models.scikit_learn import save_sklearn

    save_sklearn(fit_tfidf_logreg(load_dataset(str(tiny_csv))), tmp_path / "tfidf")
    result = cli("explain", "--model", tmp_path / "tfidf", "--data", tiny_csv, "--out", tmp_path / "out", "--method", "integrated-gradients")
    assert result.exit_code == 2
    assert "needs gradients" in result.stderr and not (tmp_path / "out").exists()


def test_compare_writes_the_study_and_its_figures_equal_statsmodels_and_sklearn(cli, tmp_path, tiny_model_dir, tiny_sharp_dir):
    from statsmodels.stats.contingency_tables import mcnemar

    from .test_render import assert_inert

    rows = [("the bank said profit and shares rose", "business", "wire"), ("the team won the match", "sports", "web"),
            ("new software for the phone", "tech", "wire"), ("he said the bank and his team", "business", "web"),
            ("goal", "sports", "wire"), ("computer chip data and internet software", "tech", "web")]
    data = tmp_path / "d.csv"
    data.write_text("text,label,source\n" + "".join(f'"{t}",{label},{s}\n' for t, label, s in rows), encoding="utf-8")
    out = tmp_path / "out"
    result = cli("compare", "--models", tiny_sharp_dir, tiny_model_dir, "--data", data, "--out", out, "--slice-column", "source",
                 "--explain-n", "2", "--num-samples", "20", "--no-memory")
    assert result.exit_code == 0, result.output
    assert "McNemar p" in result.stdout
    study = json.loads((out / "compare.json").read_text())
    assert study["models"] == [str(tiny_sharp_dir), str(tiny_model_dir)]
    assert {"models", "metrics", "predictions", "pairwise", "slices", "probes"} <= set(study)
    frames = {ref: pd.read_csv(out / path, dtype=str) for ref, path in study["predictions"].items()}
    for ref, frame in frames.items():
        assert list(frame.columns[:3]) == ["id", "label", "prediction"]
        assert study["metrics"][ref]["accuracy"] == sk.accuracy_score(frame["label"], frame["prediction"])
    [pair] = study["pairwise"]
    a, b = frames[pair["a"]], frames[pair["b"]]
    ca, cb = (a["label"] == a["prediction"]).to_numpy(), (b["label"] == b["prediction"]).to_numpy()
    table = [[np.sum(ca & cb), np.sum(ca & ~cb)], [np.sum(~ca & cb), np.sum(~ca & ~cb)]]
    assert pair["mcnemar_p"] == mcnemar(table, exact=True).pvalue
    assert {r["by"] for r in study["slices"][pair["a"]]} == {"class", "length", "source"}
    assert set(study["probes"][pair["a"]]) == {"gender_swap", "typos", "lowercase", "uppercase"}
    assert study["explanations"]["pairs"][0]["n"] == 2
    assert_inert((out / "compare.html").read_text(encoding="utf-8"), images=2)
    assert cli("compare", tiny_sharp_dir, tiny_model_dir, "--data", data, "--out", tmp_path / "again", "--explain-n", "0", "--no-memory").exit_code == 0


@pytest.mark.parametrize("arguments, message", [
    (["{a}"], "needs at least two models"),
    (["{a}", "{a}"], "is given more than once"),
    (["{a}", "{b}", "--slice-column", "nope"], "no 'nope' column to slice by"),
    (["{a}", "{b}", "--explain-method", "limes"], "Invalid value for '--explain-method': 'limes' is not one of 'lime'"),
    (["{a}", "{b}", "--probe-n", "0"], "n must be at least 1"),
])
def test_compare_bad_input_exits_2(cli, tmp_path, tiny_model_dir, tiny_sharp_dir, tiny_csv, arguments, message):
    refs = {"a": str(tiny_model_dir), "b": str(tiny_sharp_dir)}
    result = cli("compare", "--models", *[a.format(**refs) for a in arguments], "--data", tiny_csv, "--out", tmp_path / "out", "--no-memory")
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().count("\n") == 0 and message in result.stderr
    assert not (tmp_path / "out").exists()
