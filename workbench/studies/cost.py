"""What running a model costs: throughput, per-document latency, peak memory, size.

Used by ``compare`` (one ``records.Cost`` per model) and by the benchmarks. Peak memory is
measured in a fresh process that streams the data through the model (:func:`stream_in_child`),
so the peak is that model's alone and not the caller's high-water mark (VmHWM). Checked:
``resource.getrusage`` gives the same peak but only for the whole process; ``tracemalloc``
misses torch's allocations.
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..io import write_jsonl
from ..records import Classifier, Cost, Dataset, Latency

LATENCY_DOCUMENTS = 50


def latency(model: Classifier, texts: Sequence[str]) -> Latency:
    """Milliseconds to classify one text at a time (p50, p95, mean) over ``texts``, after a warm-up."""
    model.predict_proba(list(texts[:2]), progress=False)
    times = []
    for text in texts:
        start = time.perf_counter()
        model.predict_proba([text], progress=False)
        times.append(1000 * (time.perf_counter() - start))
    return Latency(p50_ms=float(np.percentile(times, 50)), p95_ms=float(np.percentile(times, 95)), mean_ms=statistics.fmean(times))


def size_on_disk(folder: Path) -> int:
    """Bytes of the files directly in a model folder."""
    return sum(p.stat().st_size for p in Path(folder).iterdir() if p.is_file())


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM) in MiB; 0 where /proc is absent."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def stream_child(model_ref: str, data_ref: str, options: dict[str, Any], scale: int, text_column: str = "text") -> dict[str, float]:
    """Stream ``scale`` copies of the dataset through the model in this process; time and peaks."""
    from ..datasets.loading import load_dataset
    from ..models import LoadOptions, load_model

    dataset = load_dataset(data_ref, text_column=text_column, label_column=None)
    model = load_model(model_ref, LoadOptions(**options), task=dataset.task)  # an LLM classifies through its prompt
    model.predict_proba(dataset.texts[:8], progress=False)  # warm-up
    loaded = peak_rss_mb()
    start = time.perf_counter()
    rows = sum(len(p) for p in model.iter_predict_proba(itertools.chain.from_iterable(itertools.repeat(dataset.texts, scale)), progress=False))
    return {"documents": rows, "seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb(), "rss_after_load_mb": loaded}


def stream_in_child(model_ref: str, data_ref: str, options: dict[str, Any] | None = None, factor: int = 1, *, text_column: str = "text") -> dict[str, float]:
    """Time and peak memory (VmHWM) of streaming ``factor`` copies of the data, in a fresh process."""
    args = ", ".join(repr(a) for a in (model_ref, data_ref, dict(options or {}), factor, text_column))
    code = f"import json, workbench.studies.cost as c; print(json.dumps(c.stream_child({args})))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def measure_cost(model: Classifier, dataset: Dataset, seconds: float, latency_texts: Sequence[str], *, memory: bool) -> Cost:
    """A model's cost on ``dataset``, which it predicted in ``seconds``; with ``memory``, its peak in a fresh process.

    The fresh process loads the model by its reference with the options it was loaded with
    and reads the texts from a temporary file, so a dataset built in memory is measured too.
    """
    cost = {"docs_per_s": len(dataset) / seconds, "latency": latency(model, latency_texts), "parameters": int(model.num_parameters),
            "size_on_disk_bytes": size_on_disk(model.folder)}
    if memory:
        from ..models import LoadOptions

        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "texts.jsonl")
            write_jsonl(path, ({"text": t} for t in dataset.texts))
            child = stream_in_child(model.ref, path, getattr(model, "load_options", LoadOptions()).to_dict())
        cost.update(peak_memory_mb=child["peak_rss_mb"], streaming_docs_per_s=child["documents"] / child["seconds"])
    return Cost(**cost)
