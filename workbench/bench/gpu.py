"""The GPU check (``make bench-gpu``): what one accelerator does with every task, in one run and one JSON file.

Measured on one device, in the precision a user gets there by default (bf16 autocast on CUDA, fp32 on a CPU):

* the device's matmul peak in that precision, measured in the same run, before and after the rest;
* classification: documents per second over ``documents`` BBC articles (the test set repeated), and the useful
  encoder FLOP/s as a share of that peak (``inference.runner_flops``: real tokens only, no padding). On an H200 this
  is bound by the host, not the GPU: under cProfile, 20,000 articles took 4.6 s, of which the Rust tokenizer took 2.2 s
  and transformers' conversion of its encodings 0.6 s, while the GPU's kernels took about 0.05 s per 3,000 texts;
* question answering: questions per second over the BBC questions;
* generation: new tokens per second, greedy, over headlines of BBC articles;
* LIME (its default samples) and integrated gradients: seconds per classified document, on a first pass and on a second
  over the same documents. On CUDA the first pays for each new batch shape: cuDNN's attention builds a graph per shape
  (1.8 ms of host time a call under the profiler on an H200), so LIME's first pass took 0.86 and 1.74 s a document on
  two H200 machines, and later passes 0.36 to 0.41.

``workbench bench-gpu --device cpu`` is the same check on the CPU with smaller counts: a dry run, which the tests run,
so the check works when a GPU is lent. Checked: ``torch.utils.benchmark.Timer`` times one statement; these are whole
workbench calls, timed with ``time.perf_counter`` after a warm-up, the GPU synchronised by the calls' own copies of
their results to the host.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..io import write_json
from .inference import environment, matmul_peak, read_lengths, runner_flops, timed

GPU_MATMUL_SIZES = (4096, 8192)
GPU_MATMUL_WORK = 2e13  # FLOPs per timed run: a few tens of milliseconds on a current GPU
EXPLAINED = ("lime", "integrated-gradients")


def device_peak(device: Any, autocast: Any) -> dict[str, Any]:
    """The matmul peak in the precision the models run in on ``device``: bf16 (or fp16) on CUDA, fp32 elsewhere."""
    if device.type == "cuda":
        return matmul_peak(GPU_MATMUL_SIZES, device=str(device), dtype=autocast, work=GPU_MATMUL_WORK)
    return matmul_peak()


def run_gpu_benchmark(
    device: str = "cuda",
    *,
    classifier: str = "demo:minilm-bbc",
    data: str = "bbc-news:test",
    qa: str = "demo:minilm-qa",
    qa_data: str = "bbc-qa:test",
    generator: str = "demo:headline-bbc",
    generation_data: str = "bbc-headlines:test",
    documents: int = 20000,
    questions: int = 276,
    generation_documents: int = 256,
    max_new_tokens: int = 32,
    explain_documents: int = 5,
    repeats: int = 3,
    out: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Every measurement of the GPU check on ``device``; with ``out``, written to ``out/gpu.json`` (see the module)."""
    from ..datasets.loading import load_dataset
    from ..explainers import explain
    from ..models import load_model
    from ..models.transformer import TransformerClassifier
    from ..records.generation import GenerationSettings
    from ..studies.explanation import pick_documents

    # on torch, whose matmul peak the share is of (on a CPU, ``auto`` may choose ONNX Runtime, whose kernels are not)
    model = load_model(classifier, device=device, backend="torch")
    if not isinstance(model, TransformerClassifier):
        raise ParameterError(f"the GPU check needs a transformer classifier; {classifier} is not one")
    dataset = load_dataset(data)
    texts = [dataset.texts[i % len(dataset)] for i in range(documents)]
    peak = device_peak(model.device, model.autocast)
    precision = str(model.autocast or "fp32").removeprefix("torch.")
    result: dict[str, Any] = {"environment": environment(model), "precision": precision, "repeats": repeats,
                              "matmul_peak": peak}

    lengths = read_lengths(model, texts)
    seconds, _ = timed(lambda: model.predict_proba(texts, progress=False), repeats)
    flops = runner_flops(model, lengths) / seconds
    result["classification"] = {"model": classifier, "data": data, "documents": documents,
                                "mean_tokens": float(np.mean(lengths)), "seconds": seconds,
                                "docs_per_s": documents / seconds, "flops": flops}

    answerer, asked = load_model(qa, device=device), load_dataset(qa_data)
    rows = pick_documents(asked, questions)
    pairs = [asked.questions[i] for i in rows], [asked.contexts[i] for i in rows]
    seconds, _ = timed(lambda: answerer.answer(*pairs, progress=False), repeats)
    result["question_answering"] = {"model": qa, "data": qa_data, "questions": len(rows), "seconds": seconds,
                                    "questions_per_s": len(rows) / seconds}

    writer, articles = load_model(generator, device=device), load_dataset(generation_data)
    sources = [articles.texts[i] for i in pick_documents(articles, generation_documents)]
    settings = GenerationSettings(max_new_tokens=max_new_tokens)
    seconds, generated = timed(lambda: writer.generate_ids(sources, settings, progress=False), repeats)
    tokens = sum(len(ids) for ids in generated)
    result["generation"] = {"model": generator, "data": generation_data, "documents": len(sources),
                            "max_new_tokens": max_new_tokens, "new_tokens": tokens, "seconds": seconds,
                            "tokens_per_s": tokens / seconds}

    chosen = [dataset.texts[i] for i in pick_documents(dataset, explain_documents)]
    result["explanations"] = {"documents": len(chosen)}
    for method in EXPLAINED:  # at the method's default budget: a first pass after a small warm-up, then a second
        explain(model, chosen[:1], method=method, num_samples=16, cache=False, progress=False)
        seconds = []
        for _ in range(2):
            start = time.perf_counter()
            records = explain(model, chosen, method=method, cache=False, progress=False)
            seconds.append((time.perf_counter() - start) / len(chosen))
        result["explanations"][method] = {"num_samples": records[0].params["num_samples"], "s_per_doc": seconds[0],
                                          "steady_s_per_doc": seconds[1]}

    result["matmul_peak_after"] = device_peak(model.device, model.autocast)
    best = max(result["matmul_peak"]["flops"], result["matmul_peak_after"]["flops"])
    result["classification"]["share_of_matmul_peak"] = flops / best
    if out is not None:
        write_json(Path(out) / "gpu.json", result)
    return result


def format_gpu_table(result: dict[str, Any]) -> str:
    """The check's figures in a few terminal lines."""
    env, c, e = result["environment"], result["classification"], result["explanations"]
    peak = result["matmul_peak"]["flops"] / 1e12
    return "\n".join([
        f"{env.get('cuda_device') or env['device']}, {result['precision']}: matmul peak {peak:.1f} TFLOP/s",
        f"classification  {c['docs_per_s']:>10.0f} docs/s over {c['documents']} documents, "
        f"{100 * c['share_of_matmul_peak']:.1f}% of the peak",
        f"question answering {result['question_answering']['questions_per_s']:>7.1f} questions/s",
        f"generation      {result['generation']['tokens_per_s']:>10.0f} new tokens/s (greedy)",
        *(f"{method:<22}{e[method]['s_per_doc']:>7.2f} s a document ({e[method]['num_samples']} samples or steps), "
          + (f"{e[method]['steady_s_per_doc']:.2f} s on a second pass" if "steady_s_per_doc" in e[method]
             else "no second pass in this file")
          for method in EXPLAINED),
    ])
