"""The inference benchmark: its FLOP count, its helpers, and one small end-to-end run.

No timing is asserted: speed is what `make bench` reports, not what tests check.
"""

from __future__ import annotations

import json

import pytest
from transformers import BertConfig

from workbench.bench.inference import encoder_flops, first_words, format_table, run_inference_benchmark, timed
from workbench.bench.page import machine_line

from .conftest import TINY_ROWS, write_csv


def test_encoder_flops_counts_projections_feed_forward_and_attention():
    config = BertConfig(hidden_size=4, intermediate_size=8, num_hidden_layers=2)
    # one layer, n=3: 8*3*16 + 4*3*4*8 + 4*9*4 = 384 + 384 + 144 = 912; two layers and two texts
    assert encoder_flops([3], config) == 2 * 912
    assert encoder_flops([3, 3], config) == 4 * 912
    # the last layer at the first position only: keys and values 4*3*16, its query and output 4*16, FFN 4*4*8, and its
    # attention over the 3 positions 4*3*4 = 192 + 64 + 128 + 48
    assert encoder_flops([3], config, first_token=True) == 912 + 432


def test_first_words():
    assert first_words("a  b\nc d", 3) == "a b c"
    assert first_words("short", 60) == "short"


def test_timed_returns_the_median_and_last_result():
    calls = []
    seconds, result = timed(lambda: calls.append(1) or len(calls), 3)
    assert result == 4 and len(calls) == 4 and seconds >= 0


def test_a_small_benchmark_run_writes_every_figure(tmp_path, tiny_model_dir):
    data = write_csv(tmp_path / "d.csv", TINY_ROWS * 3)
    result = run_inference_benchmark(str(tiny_model_dir), str(data), device="cpu", repeats=1, scale=2, with_compile=False, out=tmp_path / "out")
    written = json.loads((tmp_path / "out" / "inference.json").read_text())
    assert set(written["regimes"]) == {"full", "first60words"}
    full = written["regimes"]["full"]
    for mode in ("workbench", "pipeline_per_doc", "pipeline_batch32", "int8", "onnxruntime_fp32", "onnxruntime_int8"):
        assert full[mode]["docs_per_s"] > 0
    assert full["onnxruntime_fp32"]["max_abs_diff"] < 1e-4
    assert full["pipeline_per_doc"]["argmax_agreement"] == 1.0 and full["pipeline_per_doc"]["max_abs_diff"] < 1e-5
    assert full["documents"] == 24 and 0 < full["workbench"]["share_of_matmul_peak"]
    assert full["int8"]["accuracy_change_points"] == pytest.approx(100 * (full["int8"]["accuracy"] - full["workbench"]["accuracy"]))
    assert written["growth"]["scaled"]["documents"] == 2 * written["growth"]["base"]["documents"] == 48
    assert written["environment"]["device"] == "cpu"
    assert "pipeline_per_doc" in format_table(result)


def test_a_small_explanation_benchmark_run(tmp_path, tiny_sharp_dir):
    from workbench.bench.efficiency import Subject
    from workbench.bench.explanations import format_explanation_table, run_explanation_benchmark

    data = write_csv(tmp_path / "d.csv", [(t + " and the new market data said", label) for t, label in TINY_ROWS])
    efficiency = (Subject(str(tiny_sharp_dir), str(data), ("occlusion",), documents=2),)
    result = run_explanation_benchmark(str(tiny_sharp_dir), str(data), documents=2, num_samples=30, quality_documents=3,
                                       device="cpu", efficiency=efficiency, out=tmp_path / "out")
    written = json.loads((tmp_path / "out" / "explanations.json").read_text())
    assert set(written["regimes"]) == {"full", "first60words", "first15words"}
    assert written["num_samples"] == {"lime": 30, "shap": 30}  # one budget asked for, both methods spend it
    for row in written["regimes"].values():
        assert row["lime_max_abs_diff_vs_readme"] < 1e-6  # same seed, same samples: lime's own scores
        for method in ("lime", "shap"):
            assert row[f"{method}_workbench_s_per_doc"] > 0 and row[f"{method}_readme_s_per_doc"] > 0
            assert -1 <= row[f"{method}_int8_spearman_vs_fp32"] <= 1
            assert row[f"{method}_onnxruntime_max_abs_diff"] < 1e-4  # the same model, other kernels
    assert "onnxruntime" in format_explanation_table(result)
    quality = written["quality"]
    assert quality["documents"] == 3 and set(quality["methods"]) == {"lime", "shap", "integrated-gradients", "gradient-x-input", "occlusion"}
    for method, row in quality["methods"].items():
        assert row["s_per_doc"] > 0 and isinstance(row["no_better_than_random"], bool)
        assert ("stability" in row) == (method == "lime") and ("diagnostics" in row) == (method == "integrated-gradients")
    assert written["environment"]["cpu_count"] > 0 and "quality on 3 documents" in format_explanation_table(result)
    # the backend that ran the workbench's side, and what ``auto`` measured to choose it, go on the page
    environment = written["environment"]
    assert environment["backend"] == environment["calibration"]["backend"] and "speedup" in environment["calibration"]
    line = machine_line(environment)
    assert f"backend {environment['backend']}, the last layer at [CLS] only (auto: ONNX Runtime" in line
    assert environment["first_token_head"]  # the tiny BERT's last layer runs at [CLS] only (models.first_token)
    [row] = written["efficiency"]["rows"]  # the efficiency table (tests/test_efficiency.py) is part of the file
    assert row["task"] == "classification" and row["methods"]["occlusion"]["evaluations"] > 0
    assert "efficiency = the same evaluations run as plain inference" in format_explanation_table(result)


def test_the_benchmarks_page_is_what_the_committed_results_render(tmp_path):
    """docs/benchmarks.md is rendered from benchmarks/results/*.json, so its figures are the results' own."""
    from pathlib import Path

    from workbench.bench.page import SECTIONS, render_page, write_page

    root = Path(__file__).resolve().parent.parent
    assert (root / "docs" / "benchmarks.md").read_text(encoding="utf-8") == render_page(root / "benchmarks" / "results")
    inference = json.loads((root / "benchmarks" / "results" / "inference.json").read_text())
    page = render_page(root / "benchmarks" / "results")
    present = [name for name, *_ in SECTIONS if (root / "benchmarks" / "results" / name).is_file()]  # gpu.json: a GPU's
    assert format_table(inference) in page and page.count("```text") == len(present) >= len(SECTIONS) - 1
    llm = json.loads((root / "benchmarks" / "results" / "llm.json").read_text())["environment"]
    assert f"({llm['processor']['cpu']}, " in page and ", ".join(llm["processor"]["isa"]) in page  # where it ran
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "inference.json").write_text(json.dumps(inference))
    partial = write_page(tmp_path / "results", tmp_path / "page.md").read_text()
    assert partial.count("```text") == 1 and "No `scaling.json` yet: run `make bench`." in partial
    assert "No `gpu.json` yet: run `make bench-gpu` on a machine with a CUDA GPU." in partial


@pytest.mark.integration
def test_a_small_corpus_map_benchmark_run_writes_every_figure(tmp_path):
    """300 and 600 BBC sentences through the whole measurement: JupyterLab, Chromium, the first draw, the zoom."""
    import shutil

    from workbench.bench.corpus_map import format_corpus_map_table, run_corpus_map_benchmark, sentences

    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed (make test installs it)")
    assert sentences(50_000)["id"].is_unique and len(sentences(50_000)) == 50_000  # the corpus and 6,022 repeats
    result = run_corpus_map_benchmark(sizes=(300, 600), out=tmp_path)
    assert json.loads((tmp_path / "corpus_map.json").read_text()) == json.loads(json.dumps(result))
    for run in result["runs"]:
        assert run["first_draw_s"] > run["explorer_s"] + run["map_s"] > 0 and run["map_again_s"] > 0
        assert run["js_heap_mb"] > 0 and run["frame_ms_median"] > 0 and run["matplotlib_s"] > 0
    assert result["ratios"]["points"] == 2 and "600" in format_corpus_map_table(result)


def test_the_gpu_check_runs_dry_on_the_cpu_and_writes_every_figure_to_one_file(cli, tmp_path):
    """`make bench-gpu` on a lent GPU is this command with --device cuda and its full counts; here it runs on the CPU,
    on the demos, with small counts, so that the check is known to work before a GPU is at hand."""
    from workbench.bench.gpu import EXPLAINED

    result = cli("bench-gpu", "--device", "cpu", "--documents", "40", "--questions", "3", "--generation-documents", "3",
                 "--explain-documents", "1", "--repeats", "1", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "gpu.json").read_text())
    assert written["environment"]["device"] == "cpu" and written["precision"] == "fp32"
    assert written["matmul_peak"]["dtype"] == "float32" and written["matmul_peak"]["flops"] > 0
    classification = written["classification"]
    assert classification["documents"] == 40 and classification["mean_tokens"] == 128.0  # whole BBC articles, cut
    assert 0 < classification["share_of_matmul_peak"] < 1
    assert written["question_answering"]["questions"] == 3 and written["question_answering"]["questions_per_s"] > 0
    generation = written["generation"]
    assert generation["documents"] == 3 and 0 < generation["new_tokens"] <= 3 * generation["max_new_tokens"]
    assert generation["tokens_per_s"] == pytest.approx(generation["new_tokens"] / generation["seconds"])
    explained = written["explanations"]
    from workbench.explainers.lime import LimeExplainer

    assert explained["lime"]["num_samples"] == LimeExplainer.default_num_samples
    assert explained["integrated-gradients"]["num_samples"] == 50
    assert all(explained[method][key] > 0 for method in EXPLAINED for key in ("s_per_doc", "steady_s_per_doc"))
    assert "of the peak" in result.output and "on a second pass" in result.output and "wrote" in result.output
    absent = cli("bench-gpu", "--out", tmp_path / "cuda")  # no GPU here: one line, exit 2, nothing written
    assert absent.exit_code == 2 and "CUDA is not available" in absent.output and not (tmp_path / "cuda").exists()
