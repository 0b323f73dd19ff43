"""Inference benchmark: the workbench against the transformers pipeline and the hardware's limit.

Everything is measured in one run, on the same documents and the same truncation:

* documents per second of the workbench (fp32 default), of ``pipeline`` called once per
  document (as model cards show) and of ``pipeline(batch_size=32)``, with their agreement;
* useful model FLOP/s, counting real (unpadded) tokens only: per encoder layer
  ``8·n·d²`` (projections) + ``4·n·d·d_ff`` (feed-forward) + ``4·n²·d`` (attention), against
  torch's own fp32 matmul peak measured in the same process, and the int8 mode against the
  int8 peak of the quantized Linear it runs on;
* the int8 mode's speed-up and its accuracy change, torch.compile's speed, a token-budget sweep;
* time and peak memory (VmHWM) of streaming 1x and ``scale``x the documents, each in a fresh
  process so the peaks are not shared.

Two regimes: the documents as they are (cut at the model's limit) and their first 60 words.
Checked: pytest-benchmark and torch.utils.benchmark time single callables; neither counts
model FLOPs nor runs the pipeline baselines, so the timing here is ``time.perf_counter`` with
the median of ``repeats`` runs after a warm-up.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..io import write_json
from ..provenance import machine
from ..studies.cost import stream_in_child

SHORT_WORDS = 60
PIPELINE_BATCH = 32
TOKEN_BUDGETS = (256, 512, 1024, 2048, 4096, 8192)


def first_words(text: str, n: int = SHORT_WORDS) -> str:
    """The first ``n`` whitespace-separated words of ``text``."""
    return " ".join(text.split()[:n])


def encoder_flops(lengths: Sequence[int], config, *, first_token: bool = False) -> float:
    """Useful FLOPs of the encoder layers for sequences of ``lengths`` real tokens; with ``first_token``, the last layer
    at position 0 only, over every position's keys and values (what ``models.first_token.FirstTokenHead`` runs)."""
    n = np.asarray(lengths, dtype=np.float64)
    d, f, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    every = 8 * n * d * d + 4 * n * d * f + 4 * n * n * d
    if not first_token:
        return float(layers * np.sum(every))
    last = 4 * n * d * d + 4 * d * d + 4 * d * f + 4 * n * d  # keys and values everywhere; one query, its output, FFN
    return float((layers - 1) * np.sum(every) + np.sum(last))


def runner_flops(model, lengths: Sequence[int]) -> float:
    """The encoder FLOPs ``model``'s engine runs for ``lengths``: a BERT's last layer at [CLS] only, on either backend
    (``models.first_token``; the ONNX export is made from the same runner)."""
    from ..models.first_token import applies

    return encoder_flops(lengths, model.model.config, first_token=applies(model.model))


def read_lengths(model, texts: Sequence[str]) -> list[int]:
    """Each text's tokens as the classifier reads them (cut at its limit): what ``encoder_flops`` counts."""
    return [len(ids) for ids in model.tokenizer(list(texts), truncation=True, max_length=model.max_length)["input_ids"]]


def timed(fn: Callable[[], Any], repeats: int, warmup: Callable[[], Any] | None = None) -> tuple[float, Any]:
    """Median wall-clock seconds of ``fn`` over ``repeats`` runs, and its last result.

    ``warmup`` (default: ``fn`` itself) runs once first, untimed.
    """
    (warmup or fn)()
    result = None
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def matmul_peak(sizes: Sequence[int] = (1024, 2048, 4096), repeats: int = 5, *, device: str = "cpu", dtype: Any = None,
                work: float = 2e10) -> dict[str, Any]:
    """torch's matmul FLOP/s on ``device`` in ``dtype`` (default fp32): the best of square products of ``sizes``
    (median of ``repeats``), each timed over about ``work`` FLOPs, into a preallocated result."""
    import torch

    dtype = dtype or torch.float32
    sync = torch.cuda.synchronize if torch.device(device).type == "cuda" else (lambda: None)
    best = {}
    for size in sizes:
        a, b, c = (torch.randn(size, size, device=device, dtype=dtype) for _ in range(3))
        reps = max(1, int(work // (2 * size**3)))

        def products(a=a, b=b, c=c, reps=reps) -> None:
            for _ in range(reps):
                torch.mm(a, b, out=c)
            sync()

        seconds, _ = timed(products, repeats)
        best[str(size)] = 2 * size**3 * reps / seconds
    return {"flops": max(best.values()), "by_size": best, "dtype": str(dtype).removeprefix("torch.")}


def int8_peak(rows: int = 4096, features: int = 1536, repeats: int = 3) -> float:
    """Ops/s of the int8 mode's kernel: a per-channel dynamic-quantized Linear on a large input."""
    import torch

    from ..models.device import quantize_int8

    layer = quantize_int8(torch.nn.Sequential(torch.nn.Linear(features, features))).eval()
    x = torch.randn(rows, features)
    with torch.inference_mode():
        seconds, _ = timed(lambda: [layer(x) for _ in range(5)], repeats)
    return 2 * rows * features * features * 5 / seconds


def pipeline_proba(rows: Sequence[Sequence[dict]], label_names: Sequence[str]) -> np.ndarray:
    """The ``top_k=None`` output of a text-classification pipeline as an ``(n, k)`` array."""
    return np.array([[next(s["score"] for s in row if s["label"] == name) for name in label_names] for row in rows])


def _agreement(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    return {"argmax_agreement": float(np.mean(a.argmax(1) == b.argmax(1))), "max_abs_diff": float(np.abs(a - b).max())}


def _accuracy(proba: np.ndarray, label_names: Sequence[str], labels: Sequence[str] | None) -> float | None:
    return None if labels is None else float(np.mean(np.asarray(label_names)[proba.argmax(1)] == np.asarray(labels)))


def _regime(model, texts: Sequence[str], labels, *, repeats: int, int8_model, compiled, pipe) -> dict[str, Any]:
    """All measurements of one regime (a list of texts)."""
    lengths = read_lengths(model, texts)
    flops = runner_flops(model, lengths)
    n, warm = len(texts), list(texts[:16])

    def speed(call: Callable[[Sequence[str]], Any], times: int = repeats) -> tuple[float, Any]:
        seconds, result = timed(lambda: call(texts), times, lambda: call(warm))
        return n / seconds, result

    row: dict[str, Any] = {"documents": n, "mean_tokens": float(np.mean(lengths)), "useful_gflop": flops / 1e9}
    rate, proba = speed(lambda t: model.predict_proba(t, progress=False))
    row["workbench"] = {"docs_per_s": rate, "flops": rate * flops / n, "accuracy": _accuracy(proba, model.label_names, labels)}
    rate, rows = speed(lambda t: [pipe([text], truncation=True)[0] for text in t])
    row["pipeline_per_doc"] = {"docs_per_s": rate, **_agreement(proba, pipeline_proba(rows, model.label_names))}
    rate, rows = speed(lambda t: pipe(list(t), batch_size=PIPELINE_BATCH, truncation=True))
    row[f"pipeline_batch{PIPELINE_BATCH}"] = {"docs_per_s": rate, **_agreement(proba, pipeline_proba(rows, model.label_names))}
    if int8_model is not None:
        rate, q = speed(lambda t: int8_model.predict_proba(t, progress=False))
        row["int8"] = {"docs_per_s": rate, "ops": rate * flops / n, "accuracy": _accuracy(q, model.label_names, labels), **_agreement(proba, q)}
    if compiled is not None:
        rate, c = speed(lambda t: compiled.predict_proba(t, progress=False))
        row["torch_compile"] = {"docs_per_s": rate, **_agreement(proba, c)}
    if int8_model is not None:  # ONNX Runtime is measured on CPU only, like the int8 mode
        onnx = _onnx_runtime(model, texts, labels, proba, repeats)
        row.update({"onnxruntime": onnx} if "skipped" in onnx else {f"onnxruntime_{k}": v for k, v in onnx.items()})
    default = model.options
    sweep = {}
    for tokens in TOKEN_BUDGETS:
        model.options = replace(default, token_budget=tokens)
        sweep[str(tokens)], _ = speed(lambda t: model.predict_proba(t, progress=False), times=1)
    model.options = default
    row["token_budget_sweep_docs_per_s"] = sweep
    return row


def _onnx_runtime(model, texts: Sequence[str], labels, proba: np.ndarray, repeats: int) -> dict[str, Any]:
    """ONNX Runtime fp32 and int8 through the workbench's batching, against torch fp32 on ``texts``."""
    import copy
    import importlib.util
    import tempfile

    import torch

    if importlib.util.find_spec("onnxruntime") is None:
        return {"skipped": "onnxruntime is not installed (pip install 'workbench[onnx]')"}
    from ..models.onnx_runtime import OnnxRuntimeModel, cached_onnx, quantize_onnx

    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = cached_onnx(model)
        for precision, path in {"fp32": fp32, "int8": quantize_onnx(fp32, Path(tmp) / "model-int8.onnx")}.items():
            runner = copy.copy(model)
            runner.runner = OnnxRuntimeModel(path, model.model.config, torch.get_num_threads())
            seconds, p = timed(lambda: runner.predict_proba(texts, progress=False), repeats, lambda: runner.predict_proba(texts[:16], progress=False))
            rows[precision] = {"docs_per_s": len(texts) / seconds, "accuracy": _accuracy(p, model.label_names, labels), **_agreement(proba, p)}
    return rows


def _growth(model_ref: str, data_ref: str, device: str, scale: int) -> dict[str, Any]:
    """Time and peak memory of streaming 1x and ``scale``x the documents, each in a fresh process."""
    one, many = (stream_in_child(model_ref, data_ref, {"device": device}, factor) for factor in (1, scale))
    return {
        "scale": scale,
        "base": one,
        "scaled": many,
        "time_ratio": many["seconds"] / one["seconds"],
        "peak_memory_ratio": many["peak_rss_mb"] / one["peak_rss_mb"],
    }


def environment(model) -> dict[str, Any]:
    """The machine and software a benchmark ran on: versions, threads, processor and its ISA, device, limits."""
    import importlib.metadata as md

    import torch

    from ..models import first_token

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "transformers": md.version("transformers"),
        "threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "processor": machine(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "device": model.device.type,
        "cuda_device": torch.cuda.get_device_name() if model.device.type == "cuda" else None,
        "attention": getattr(model.model.config, "_attn_implementation", None),
        "token_budget": model.options.token_budget,
        "max_length": model.max_length,
        "backend": model.backend,  # what ran the model's inference: ``--backend auto`` chose it by ``calibration``
        "first_token_head": first_token.applies(model.model),  # a BERT's last layer runs at [CLS] only
        "calibration": {k: v for k, v in (getattr(model, "calibration", None) or {}).items() if k != "key"},
    }


def run_inference_benchmark(
    model_ref: str = "demo:minilm-bbc",
    data_ref: str = "bbc-news:test",
    *,
    device: str = "auto",
    repeats: int = 3,
    scale: int = 10,
    with_compile: bool = True,
    out: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Run every measurement and (with ``out``) write ``out/inference.json``; return the result."""
    import torch
    from transformers import pipeline

    from ..datasets.loading import load_dataset
    from ..models import load_model
    from ..models.transformer import TransformerClassifier

    dataset = load_dataset(data_ref)
    model = load_model(model_ref, device=device)
    if not isinstance(model, TransformerClassifier):
        from ..errors import ParameterError

        raise ParameterError(f"the inference benchmark needs a transformer model; {model_ref} is not one")
    int8_model = load_model(model_ref, device="cpu", precision="int8") if model.device.type == "cpu" else None
    compiled = None
    if with_compile:
        compiled = load_model(model_ref, device=device)
        compiled.runner = torch.compile(compiled.runner, dynamic=True)
    pipe = pipeline("text-classification", model=model.model, tokenizer=model.tokenizer, device=model.device, top_k=None)
    result: dict[str, Any] = {"model": model_ref, "data": data_ref, "environment": environment(model)}
    result["matmul_peak"] = matmul_peak()
    if int8_model is not None:
        result["int8_peak_ops"] = int8_peak()
    regimes = {"full": list(dataset.texts), f"first{SHORT_WORDS}words": [first_words(t) for t in dataset.texts]}
    result["regimes"] = {
        name: _regime(model, texts, dataset.labels, repeats=repeats, int8_model=int8_model, compiled=compiled, pipe=pipe)
        for name, texts in regimes.items()
    }
    result["matmul_peak_after"] = matmul_peak()
    result["growth"] = _growth(model_ref, data_ref, device, scale)
    _summarize(result)
    if out is not None:
        write_json(Path(out) / "inference.json", result)
    return result


def _summarize(result: dict[str, Any]) -> None:
    """Add the ratios the targets are stated in: share of peak, speed-ups, accuracy change.

    The peak is the higher of the measurements before and after the regimes, so a slow
    moment during one of them cannot flatter the share.
    """
    peak = max(result["matmul_peak"]["flops"], result["matmul_peak_after"]["flops"])
    result["matmul_peak_flops"] = peak
    for row in result["regimes"].values():
        wb = row["workbench"]
        wb["share_of_matmul_peak"] = wb["flops"] / peak
        wb["vs_pipeline_per_doc"] = wb["docs_per_s"] / row["pipeline_per_doc"]["docs_per_s"]
        wb[f"vs_pipeline_batch{PIPELINE_BATCH}"] = wb["docs_per_s"] / row[f"pipeline_batch{PIPELINE_BATCH}"]["docs_per_s"]
        if "int8" in row:
            row["int8"]["share_of_int8_peak"] = row["int8"]["ops"] / result["int8_peak_ops"]
        for mode in ("int8", "torch_compile", "onnxruntime_fp32", "onnxruntime_int8"):
            measured = row.get(mode, {})
            if "docs_per_s" in measured:
                measured["speedup_vs_fp32"] = measured["docs_per_s"] / wb["docs_per_s"]
            if measured.get("accuracy") is not None and wb["accuracy"] is not None:
                measured["accuracy_change_points"] = 100 * (measured["accuracy"] - wb["accuracy"])


def format_table(result: dict[str, Any]) -> str:
    """A short terminal table of the headline figures."""
    lines = [f"{result['model']} on {result['data']} ({result['environment']['device']}, {result['environment']['threads']} threads); "
             f"fp32 matmul peak {result['matmul_peak_flops'] / 1e9:.0f} GFLOP/s"]
    lines.append(f"{'regime':<16}{'mode':<22}{'docs/s':>9}{'GFLOP/s':>9}{'% peak':>8}{'vs mode':>9}{'agree':>8}{'max|dp|':>10}")
    for name, row in result["regimes"].items():
        wb = row["workbench"]
        lines.append(f"{name:<16}{'workbench fp32':<22}{wb['docs_per_s']:>9.1f}{wb['flops'] / 1e9:>9.1f}{100 * wb['share_of_matmul_peak']:>7.1f}%{'':>9}{'':>8}{'':>10}")
        for mode in ("pipeline_per_doc", f"pipeline_batch{PIPELINE_BATCH}", "int8", "torch_compile", "onnxruntime_fp32", "onnxruntime_int8"):
            if "docs_per_s" in row.get(mode, {}):
                m = row[mode]
                ratio = wb["docs_per_s"] / m["docs_per_s"] if mode.startswith("pipeline") else m["docs_per_s"] / wb["docs_per_s"]
                lines.append(f"{'':<16}{mode:<22}{m['docs_per_s']:>9.1f}{'':>9}{'':>8}{ratio:>8.2f}x{m['argmax_agreement']:>8.3f}{m['max_abs_diff']:>10.2e}")
        changes = [f"{mode} {row[mode]['accuracy_change_points']:+.2f}" for mode in ("int8", "onnxruntime_int8") if "accuracy_change_points" in row.get(mode, {})]
        if changes:
            lines.append(f"{'':<16}accuracy change in points: {', '.join(changes)}")
        if "int8" in row:
            lines.append(f"{'':<16}int8 at {100 * row['int8']['share_of_int8_peak']:.0f}% of the int8 Linear peak ({result['int8_peak_ops'] / 1e9:.0f} GOP/s)")
    g = result["growth"]
    lines.append(
        f"1x -> {g['scale']}x documents: {g['time_ratio']:.2f}x the time, peak memory {g['base']['peak_rss_mb']:.0f} -> "
        f"{g['scaled']['peak_rss_mb']:.0f} MiB ({g['peak_memory_ratio']:.3f}x)"
    )
    lines.append("'vs mode': workbench speed-up over a pipeline, or a mode's speed-up over workbench fp32")
    return "\n".join(lines)
