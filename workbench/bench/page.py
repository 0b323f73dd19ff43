"""``docs/benchmarks.md``, rendered from ``benchmarks/results/*.json``.

The page holds the tables that ``workbench bench`` prints, each with the machine it was measured
on, so its text and its numbers cannot drift apart: ``make bench`` renders it after measuring,
and a test renders it again from the committed results and compares. Run it by hand with
``python -m workbench.bench.page benchmarks/results docs/benchmarks.md``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..io import atomic_open
from .corpus_map import format_corpus_map_table
from .qa import format_qa_table
from .explanations import format_explanation_table
from .generation import format_generation_table
from .gpu import format_gpu_table
from .inference import format_table
from .llm import format_llm_table
from .scaling import format_scaling_table

#: Each results file, its section title and the table ``workbench bench`` prints for it.
SECTIONS: tuple[tuple[str, str, Callable[[dict[str, Any]], str]], ...] = (
    ("inference.json", "Inference: the engine against the transformers pipeline and the matmul peak", format_table),
    ("explanations.json", "Explanations: LIME and SHAP against their README usage; every method's quality",
     format_explanation_table),
    ("answers.json", "Question answering: against the transformers 4 pipeline", format_qa_table),
    ("generation.json", "Generation: batched against one text at a time; token attributions against Inseq",
     format_generation_table),
    ("llm.json", "LLM: a prompted classifier's shared cache against one forward per label and lm-eval; chat generation",
     format_llm_table),
    ("scaling.json", "Scaling: the local engine against Ray; streaming memory", format_scaling_table),
    ("corpus_map.json", "Corpus map: time to first draw and memory at 5,000 and 50,000 points in JupyterLab",
     format_corpus_map_table),
    ("gpu.json", "GPU check: every task on one GPU, classification as a share of its bf16 matmul peak",
     format_gpu_table),
)
MADE_BY = {"gpu.json": "`make bench-gpu` on a machine with a CUDA GPU"}  # the rest: `make bench`
FLAGS = ("avx2", "avx512", "avx512_vnni", "avx512_bf16")


def machine_line(environment: dict[str, Any]) -> str:
    """Where a result was measured: the device and processor, cores and threads, instruction sets, libraries.

    Results since the LLM benchmark record the processor (``bench.inference.environment``: its name, its ISA flags,
    torch's kernel level); older ones a few flags as booleans (``FLAGS``)."""
    processor = environment.get("processor") or {}
    flags = processor.get("isa") or [flag for flag in FLAGS if environment.get(flag)]
    device = environment.get("cuda_device") or environment.get("device", "?")
    cpu, kernels = processor.get("cpu"), environment.get("torch_cpu_capability")
    named = [cpu] if cpu and cpu != device else []  # a CPU result's device is "cpu"; older ones name the processor
    if kernels:
        named.append(f"torch's {kernels} kernels")
    cores, threads = environment.get("cpu_count", "?"), environment.get("threads", "?")
    where = f" ({', '.join(named)})" if named else ""
    calibration = environment.get("calibration") or {}
    backend = f"; backend {environment['backend']}" if environment.get("backend") else ""
    if environment.get("first_token_head"):  # ``models.first_token``
        backend += ", the last layer at [CLS] only"
    if calibration:  # ``--backend auto``'s measurement (``models.calibration``)
        backend += (f" (auto: ONNX Runtime {calibration['speedup']:.2f}x torch on the check batch, probabilities "
                    f"within {calibration['max_abs_diff']:.1e})")
    return (f"Measured on {device}{where}, {cores} cores, {threads} threads, "
            f"instruction sets {', '.join(flags) or 'none listed'}; torch {environment.get('torch', '?')}, "
            f"transformers {environment.get('transformers', '?')}{backend}; {environment.get('platform', '?')}.")


def render_page(results: str | Path) -> str:
    """The Markdown page for the results files in ``results``; a missing file is a line that says so."""
    results = Path(results)
    lines = ["# Benchmarks", "",
             "Rendered by `make bench` from `benchmarks/results/*.json` (`python -m workbench.bench.page`); "
             "edit the benchmarks, not this page. Every figure is a ratio against a baseline measured in the same run, "
             "since a machine's speed swings between runs (the fp32 matmul peak by about 15 %).", ""]
    for name, title, table in SECTIONS:
        lines += [f"## {title}", ""]
        path = results / name
        if not path.is_file():
            lines += [f"No `{name}` yet: run {MADE_BY.get(name, '`make bench`')}.", ""]
            continue
        result = json.loads(path.read_text(encoding="utf-8"))
        lines += [f"From `benchmarks/results/{name}`. {machine_line(result.get('environment', {}))}", "",
                  "```text", table(result), "```", ""]
    return "\n".join(lines)


def write_page(results: str | Path, target: str | Path) -> Path:
    """Write :func:`render_page` to ``target`` atomically."""
    target = Path(target)
    with atomic_open(target, "w") as handle:
        handle.write(render_page(results))
    return target


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m workbench.bench.page RESULTS_FOLDER TARGET.md")
    print(f"wrote {write_page(sys.argv[1], sys.argv[2])}")
