"""Generation benchmark: the workbench's batched ``generate`` against ``model.generate`` one text at a time, and token
attributions against Inseq.

Generation, greedy and beam search, on the same sources in one run (the median of ``repeats``
after a warm-up): the workbench (sorted by length, token-budget batches); ``model.generate``
called once per text, as model cards show; and a hand-written loop over fixed batches of
``NAIVE_BATCH`` texts in input order, padded to the longest (what one writes without the
sorting). The outputs are compared token for token.

Token attributions: the workbench's occlusion and integrated gradients on a few documents,
and Inseq's (``inseq.load_model(...).attribute``, its ``occlusion`` and
``integrated_gradients`` with the same steps) on the same outputs and what the workbench explains of the sources
(each one's prefix within the model's limit: Inseq reads whatever it is given, so whole articles would be more work),
installed by ``make install`` into ``.venv/inseq-reference`` (Inseq 0.7.1 pins CUDA wheels,
so it is installed without them) and run in a child process beside the same torch.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from ..io import write_json
from ..records.generation import GenerationSettings
from .inference import environment

INSEQ = Path(sys.prefix) / "inseq-reference"  # inseq 0.7.1 and its light dependencies, apart from the workbench's
NAIVE_BATCH = 16
# the start of every Inseq child script: the job from stdin, then each method's model and keyword arguments in turn
INSEQ_LOOP = """
import json, sys, time
import inseq
job = json.load(sys.stdin)
out = {}
for method, ours in (("occlusion", "occlusion"), ("integrated_gradients", "integrated-gradients")):
    model = inseq.load_model(job["model"], method)
    kwargs = {"n_steps": job["n_steps"]} if method == "integrated_gradients" else {}
"""
INSEQ_SCRIPT = INSEQ_LOOP + """    model.attribute(job["sources"][:1], generated_texts=job["targets"][:1], show_progress=False,
                    **kwargs)  # warm-up
    start = time.perf_counter()
    for source, target in zip(job["sources"], job["targets"]):
        model.attribute(source, generated_texts=target, show_progress=False, **kwargs)
    out[ours] = {"seconds": time.perf_counter() - start}
print(json.dumps(out))
"""


def _median_seconds(run: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def inseq_times(folder: Path, sources: list[str], targets: list[str], *, n_steps: int) -> dict[str, Any]:
    """Inseq's seconds for occlusion and integrated gradients over ``sources`` with their ``targets``, in a child process."""
    return run_inseq(INSEQ_SCRIPT, {"model": str(folder), "sources": sources, "targets": targets, "n_steps": n_steps})


def run_inseq(script: str, job: dict[str, Any]) -> dict[str, Any]:
    """``script`` run by the Python of this environment with Inseq (``INSEQ``) on its path, ``job`` on its stdin; the
    JSON of its last output line, or ``{"error": ...}`` when Inseq is missing or fails."""
    if not (INSEQ / "inseq").is_dir():
        return {"error": f"Inseq is not installed in {INSEQ}; run `make install`"}
    env = {**os.environ, "PYTHONPATH": str(INSEQ), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run([sys.executable, "-c", script], input=json.dumps(job), capture_output=True, text=True,
                          env=env)
    if done.returncode:
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else str(done.returncode)
        return {"error": f"Inseq failed: {last}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_generation_benchmark(model_ref: str = "demo:headline-bbc", data_ref: str = "bbc-headlines:test", *, documents: int = 64, repeats: int = 3,
                             max_new_tokens: int = 32, explain_documents: int = 3, device: str = "cpu",
                             out: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Documents per second of batched and one-at-a-time generation (greedy and 4 beams), their ratios and agreement, and token
    attribution seconds per document against Inseq; ``out/generation.json``."""
    import torch

    from ..datasets.loading import load_dataset
    from ..explainers.generation import token_explainer
    from ..models import load_model
    from ..models.engine import pad_batch
    from ..models.generation import Generator
    from ..studies.explanation import pick_documents
    from ..words import whole_text

    dataset = load_dataset(data_ref)
    model = load_model(model_ref, device=device)
    if not isinstance(model, Generator):
        raise ParameterError(f"the generation benchmark needs a transformers generation model; got {model_ref}")
    rows = pick_documents(dataset, documents)
    sources = [dataset.texts[i] for i in rows]
    result: dict[str, Any] = {"model": model_ref, "data": data_ref, "documents": len(rows), "repeats": repeats, "max_new_tokens": max_new_tokens,
                              "environment": environment(model)}

    def one_at_a_time(beams: int) -> list[list[int]]:
        outputs = []
        for source in sources:
            encoded = model.tokenizer([source], return_tensors="pt", truncation=True, max_length=model.max_length)
            with torch.inference_mode():
                output = model.model.generate(input_ids=encoded["input_ids"].to(model.device), attention_mask=encoded["attention_mask"].to(model.device),
                                              max_new_tokens=max_new_tokens, num_beams=beams, pad_token_id=model.pad_id)
            outputs.append(model.new_tokens(output[0].tolist(), encoded["input_ids"].shape[1]))
        return outputs

    def fixed_batches(beams: int) -> list[list[int]]:
        outputs = []
        for start in range(0, len(sources), NAIVE_BATCH):
            rows = [{"input_ids": ids} for ids in model.encode_sources(sources[start:start + NAIVE_BATCH])]
            encoded = pad_batch(rows, model.pad_id, left=not model.encoder_decoder)  # the model's pad id: GPT-2 tokenizers have none
            with torch.inference_mode():
                output = model.model.generate(input_ids=encoded["input_ids"].to(model.device), attention_mask=encoded["attention_mask"].to(model.device),
                                              max_new_tokens=max_new_tokens, num_beams=beams, pad_token_id=model.pad_id)
            outputs += [model.new_tokens(row.tolist(), encoded["input_ids"].shape[1]) for row in output.cpu()]
        return outputs

    for beams in (1, 4):
        settings = GenerationSettings(max_new_tokens=max_new_tokens, num_beams=beams)
        model.generate_ids(sources[:2], settings)  # warm-up
        ours_seconds, ours = _median_seconds(lambda: model.generate_ids(sources, settings), repeats)
        runs = {"workbench": (ours_seconds, ours), "one_at_a_time": _median_seconds(lambda: one_at_a_time(beams), repeats),
                f"fixed_batch{NAIVE_BATCH}": _median_seconds(lambda: fixed_batches(beams), repeats)}
        key = "greedy" if beams == 1 else f"beam{beams}"
        result[key] = {name: {"seconds": seconds, "documents_per_s": len(rows) / seconds, "same_tokens": sum(a == b for a, b in zip(ours, outputs)) / len(rows),
                              "workbench_speedup": seconds / ours_seconds} for name, (seconds, outputs) in runs.items()}
    explained = pick_documents(dataset, explain_documents)
    texts = [whole_text(dataset.texts[i]) for i in explained]
    settings = GenerationSettings(max_new_tokens=max_new_tokens)
    outputs = model.generate_ids(texts, settings)
    attribution: dict[str, Any] = {"documents": len(texts), "tokens": sum(len(o) for o in outputs)}
    for method in ("occlusion", "integrated-gradients"):
        explainer = token_explainer(method, model, settings=settings)
        start = time.perf_counter()
        for i, text, ids in zip(explained, texts, outputs):
            explainer.explain(dataset.ids[i], text, ids)
        attribution[method] = {"workbench_seconds_per_document": (time.perf_counter() - start) / len(texts)}
    attribution["n_steps"] = token_explainer("integrated-gradients", model).num_samples
    # Inseq reads what it is given, so it gets what the workbench explains: each source's prefix within the limit
    read = [model.reading(text).read_text for text in texts]
    attribution["inseq_source"] = "read prefix"
    reference = inseq_times(model.folder, read, [model.decode(ids) for ids in outputs], n_steps=attribution["n_steps"])
    if "error" in reference:
        attribution["inseq_error"] = reference["error"]
    else:
        for method, timing in reference.items():
            row = attribution[method]
            row["inseq_seconds_per_document"] = timing["seconds"] / len(texts)
            row["workbench_speedup"] = row["inseq_seconds_per_document"] / row["workbench_seconds_per_document"]
    result["token_attributions"] = attribution
    if out is not None:
        write_json(Path(out) / "generation.json", result)
    return result


def format_generation_table(result: dict[str, Any]) -> str:
    """A short terminal table: documents per second per mode, the workbench's speed-ups, the share of equal outputs; attribution seconds."""
    lines = [f"{result['model']} on {result['documents']} documents of {result['data']} ({result['environment']['threads']} threads)",
             f"{'decoding':<10}{'mode':<18}{'docs/s':>9}{'workbench x':>13}{'same tokens':>13}"]
    for key in ("greedy", "beam4"):
        for name, row in result[key].items():
            lines.append(f"{key:<10}{name:<18}{row['documents_per_s']:>9.2f}{row['workbench_speedup']:>12.2f}x{row['same_tokens']:>13.3f}")
    attribution = result["token_attributions"]
    for method in ("occlusion", "integrated-gradients"):
        row = attribution[method]
        # results measured before ``inseq_source`` was recorded gave Inseq whole articles
        source = "on the read prefix" if attribution.get("inseq_source") else "on whole articles"
        inseq = (f"  Inseq {source} {row['inseq_seconds_per_document']:.2f} s ({row['workbench_speedup']:.2f}x)"
                 if "inseq_seconds_per_document" in row else "")
        lines.append(f"{method:<22} workbench {row['workbench_seconds_per_document']:.2f} s/document{inseq}")
    if "inseq_error" in attribution:
        lines.append(f"Inseq: {attribution['inseq_error']}")
    return "\n".join(lines)
