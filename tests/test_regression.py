"""The move to the layered layout changed no number: fresh outputs equal what the pre-move code wrote.

The fixtures under ``fixtures/before_move`` were written by the flat-layout code (commit
d71c64d) with the commands in ``commands.sh``; these tests run the same commands now and compare
every file, key by key. New keys (provenance) may be added; every old value must be equal,
bit for bit, except the cost block's timings.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

BEFORE = Path(__file__).parent / "fixtures" / "before_move"
TIMINGS = ("docs_per_s", "latency")  # the cost fields that are measurements of time


def assert_contains(old, new, where: str = "") -> None:
    """Every value of ``old`` is in ``new`` unchanged (dicts may gain keys; floats compare exactly)."""
    if isinstance(old, dict):
        assert isinstance(new, dict), where
        for key, value in old.items():
            assert key in new, f"{where}/{key} is missing"
            assert_contains(value, new[key], f"{where}/{key}")
    elif isinstance(old, list):
        assert isinstance(new, list) and len(new) == len(old), where
        for i, (a, b) in enumerate(zip(old, new)):
            assert_contains(a, b, f"{where}[{i}]")
    else:
        assert old == new and type(old) is type(new), f"{where}: {old!r} became {new!r}"


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("model", ["minilm-bbc", "tfidf-logreg"])
def test_evaluate_writes_the_same_metrics_and_predictions(cli, tmp_path, model):
    out = tmp_path / "out"
    result = cli("evaluate", "--model", f"demo:{model}", "--data", "bbc-news:test", "--out", out, "--no-progress")
    assert result.exit_code == 0, result.output
    before = BEFORE / f"evaluate-{model}"
    assert (out / "predictions.csv").read_bytes() == (before / "predictions.csv").read_bytes()
    fresh = read_json(out / "metrics.json")
    assert_contains(read_json(before / "metrics.json"), fresh)
    assert set(fresh) - set(read_json(before / "metrics.json")) == {"provenance"}


@pytest.mark.parametrize("model, methods", [
    ("minilm-bbc", ["lime", "shap", "integrated-gradients", "gradient-x-input", "occlusion"]),
    ("tfidf-logreg", ["lime", "shap", "occlusion"]),
])
def test_explain_writes_the_same_attributions_and_faithfulness(cli, tmp_path, model, methods):
    out = tmp_path / "out"
    options = [a for m in methods for a in ("--method", m)]
    result = cli("explain", "--model", f"demo:{model}", "--data", "bbc-news:test", "--out", out, "--n", "3", *options,
                 "--num-samples", "100", "--no-cache", "--no-progress")
    assert result.exit_code == 0, result.output
    before = BEFORE / f"explain-{model}"
    assert (out / "attributions.jsonl").read_bytes() == (before / "attributions.jsonl").read_bytes()
    assert (out / "faithfulness.json").read_bytes() == (before / "faithfulness.json").read_bytes()


def test_compare_writes_the_same_results(cli, tmp_path):
    out = tmp_path / "out"
    result = cli("compare", "demo:minilm-bbc", "demo:tfidf-logreg", "--data", "bbc-news:test", "--out", out, "--explain-n", "2",
                 "--num-samples", "100", "--no-memory", "--probe-n", "20", "--no-progress")
    assert result.exit_code == 0, result.output
    old, new = read_json(BEFORE / "compare" / "compare.json"), read_json(out / "compare.json")
    for cost in (*old["cost"].values(), *new["cost"].values()):
        for timing in TIMINGS:
            cost.pop(timing)
    assert_contains(old, new)
    for model in ("minilm-bbc", "tfidf-logreg"):
        fresh = (out / "predictions" / f"demo-{model}.csv").read_bytes()
        assert fresh == (BEFORE / f"evaluate-{model}" / "predictions.csv").read_bytes()
