"""Scaling benchmark (``make bench``): the local engine against Ray Data with 1 and 2 workers, and streaming memory at 200k and 2M rows.

Throughput: ``documents`` texts of ``words`` words (the first words of BBC articles, repeated)
are predicted by the local engine with 1 and with 2 torch threads, and by a Ray actor pool of
1 and of 2 workers of one CPU (one thread) each, reading the same texts from Parquet with Ray's
reader, in one run. Ray's overhead at equal workers is ``1 - ray / local`` documents per second
in steady state: from the moment every actor has started its first batch to the last batch's
end, timed inside the actors (so Ray's start and each actor's model load are left out and
reported apart, as ``start_seconds``). The local engine is timed over the whole corpus after a
warm-up. Each local run and its Ray run alternate, twice, and the medians are compared: the
machine's speed drifts between minutes by as much as the overhead being measured. Checked: Ray Data's own stats (``Dataset.stats()``) give per-operator wall times but
not the moment the pool was complete, hence the timestamps.

Memory: ``workbench predict`` streams a Parquet file of short rows into a Parquet file in a
fresh process, at 200,000 and at 2,000,000 rows, on the local engine and on Ray (two actors);
the peak memory of each run (the summed PSS of the whole process tree, Ray's processes included,
and the driver's VmHWM) is recorded with the ratio per engine. That model is a small seeded random BERT on MiniLM's real tokenizer:
what is measured is the engine's streaming (read, tokenize, predict, write a shard at a time),
and a small network keeps 2 million rows within minutes on two cores.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..io import write_json
from ..models import load_model
from ..models.ray_engine import RayOptions, map_model, probability_columns, ray_connect
from .inference import environment, first_words

MEMORY_ROWS = (200_000, 2_000_000)


def timed_probabilities(model: Any, batch: dict[str, np.ndarray], *, text_column: str) -> dict[str, np.ndarray]:
    """``probability_columns`` with the batch's start and end (wall clock) and the actor's process id, for the steady-state rate."""
    start = time.time()
    out = probability_columns(model, batch, text_column=text_column)
    n = len(batch[text_column])
    return {**out, "t_start": np.full(n, start), "t_end": np.full(n, time.time()), "pid": np.full(n, os.getpid())}


def steady_rate(t_start: np.ndarray, t_end: np.ndarray, pid: np.ndarray) -> tuple[float, int]:
    """Documents per second once every actor has begun its first batch: rows begun from then on over the time to the last end."""
    full = max(t_start[pid == p].min() for p in np.unique(pid))
    later = t_start >= full
    return float(later.sum() / (t_end.max() - full)), int(later.sum())


def _ray_run(model: Any, path: str, workers: int, documents: int) -> dict[str, Any]:
    from ..models.ray_engine import read_table

    options = RayOptions(workers=workers, cpus_per_worker=1, batch_rows=128)
    start = time.perf_counter()
    out = map_model(model, read_table(path, "parquet", ["text"]), functools.partial(timed_probabilities, text_column="text"), options)
    columns = {"t_start": [], "t_end": [], "pid": []}
    rows = 0
    for batch in out.iter_batches(batch_size=None, batch_format="numpy"):
        rows += len(batch["t_end"])
        for name in columns:
            columns[name].append(batch[name])
    seconds = time.perf_counter() - start
    t_start, t_end, pid = (np.concatenate(columns[name]) for name in ("t_start", "t_end", "pid"))
    rate, steady_rows = steady_rate(t_start, t_end, pid)
    return {"workers": workers, "documents": rows, "docs_per_s": rate, "steady_documents": steady_rows, "end_to_end_seconds": seconds,
            "end_to_end_docs_per_s": rows / seconds, "start_seconds": float(seconds - documents / rate) if rate else None,
            "actors": int(len(np.unique(pid)))}


def throughput(model_ref: str, data_ref: str, *, documents: int, words: int, repeats: int = 2) -> dict[str, Any]:
    """Local engine at 1 and 2 threads against Ray with 1 and 2 one-thread workers, on the same texts, in this process.

    Each pair (local with n threads, Ray with n workers) runs ``repeats`` times, interleaved, and
    the median of each is kept: the machine's speed drifts by more than the overhead measured.
    """
    import statistics

    import pyarrow as pa
    import pyarrow.parquet as pq
    import torch

    from ..datasets.loading import load_dataset

    articles = [first_words(t, words) for t in load_dataset(data_ref).texts]
    texts = [articles[i % len(articles)] for i in range(documents)]
    model = load_model(model_ref)
    threads = torch.get_num_threads()
    result: dict[str, Any] = {"model": model_ref, "data": data_ref, "documents": documents, "words": words, "repeats": repeats,
                              "environment": environment(model)}

    def local_rate(n: int) -> float:
        torch.set_num_threads(n)
        model.predict_proba(texts[:64], progress=False)
        start = time.perf_counter()
        model.predict_proba(texts, progress=False)
        return documents / (time.perf_counter() - start)

    local: dict[int, list[float]] = {1: [], 2: []}
    runs: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "texts.parquet")
        pq.write_table(pa.table({"text": texts}), path)
        ray = ray_connect(RayOptions())
        try:
            for _ in range(repeats):
                for n in (1, 2):
                    local[n].append(local_rate(n))
                    torch.set_num_threads(threads)
                    runs[n].append(_ray_run(model, path, n, documents))
        finally:
            ray.shutdown()
            torch.set_num_threads(threads)
    result["local"] = [{"threads": n, "docs_per_s": statistics.median(local[n]), "runs": local[n]} for n in (1, 2)]
    result["ray"] = []
    for n in (1, 2):
        rate = statistics.median(r["docs_per_s"] for r in runs[n])
        result["ray"].append({"workers": n, "docs_per_s": rate, "local_docs_per_s": statistics.median(local[n]),
                              "overhead": 1 - rate / statistics.median(local[n]), "start_seconds": statistics.median(r["start_seconds"] for r in runs[n]),
                              "runs": runs[n]})
    result["ray_2_over_1"] = result["ray"][1]["docs_per_s"] / result["ray"][0]["docs_per_s"]
    return result


def _short_rows(n: int, seed: int = 0) -> list[str]:
    """``n`` seeded texts of 4 to 12 words from the BBC vocabulary (support-ticket length)."""
    from ..datasets.loading import load_dataset

    vocabulary = sorted({w for t in load_dataset("bbc-news:train").texts[:200] for w in t.split() if w.isalpha()})
    rng = np.random.default_rng(seed)
    lengths = rng.integers(4, 13, size=n)
    picks = rng.integers(0, len(vocabulary), size=int(lengths.sum()))
    words = np.asarray(vocabulary, dtype=object)[picks]
    cuts = np.cumsum(lengths)[:-1]
    return [" ".join(part) for part in np.split(words, cuts)]


def _memory_model(folder: Path) -> Path:
    """A small seeded random BERT classifier (2 layers, hidden 64, 5 labels) on MiniLM's real WordPiece tokenizer."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from ..models.demos import base_model_folder

    tokenizer = AutoTokenizer.from_pretrained(base_model_folder())
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128,
                        num_labels=5, id2label={i: f"topic{i}" for i in range(5)}, label2id={f"topic{i}": i for i in range(5)})
    BertForSequenceClassification(config).eval().save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


PEAK_SCRIPT = """
import json, sys
from workbench.cli import main
from workbench.studies.cost import peak_rss_mb
try:
    sys.argv = ["workbench", *sys.argv[1:]]
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"peak_rss_mb": peak_rss_mb(), "code": code}))
"""


ENGINES = {"local": [], "ray": ["--engine", "ray", "--ray-workers", "2"]}  # Ray: two one-CPU actors, beside one CPU for reading


def tree_pss_mb(pid: int) -> float:
    """Proportional set size (MiB) of process ``pid`` and all its descendants: the driver, Ray's GCS, raylet and actors.

    PSS shares each shared page (Ray's object store, the libraries) among the processes that map
    it, so the sum counts every page once. Checked: psutil's ``memory_full_info().pss`` reads it
    from /proc; processes that end while being read are skipped.
    """
    import psutil

    try:
        processes = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for process in processes:
        try:
            total += process.memory_full_info().pss
        except psutil.Error:
            continue
    return total / 2**20


def _peak_run(command: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``command``, sampling its process tree's PSS twice a second; the finished process and the peak sum (MiB)."""
    import threading

    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0.0]

    def sample() -> None:
        while child.poll() is None:
            peak[0] = max(peak[0], tree_pss_mb(child.pid))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = child.communicate()
    sampler.join()
    return subprocess.CompletedProcess(command, child.returncode, stdout, stderr), peak[0]


def streaming_memory(rows: tuple[int, ...] = MEMORY_ROWS, engines: tuple[str, ...] = tuple(ENGINES)) -> dict[str, Any]:
    """Peak memory and time of ``workbench predict`` streaming Parquet files of ``rows`` short rows, each engine in a fresh process.

    Per run: the driver's peak resident memory (VmHWM), and the peak summed PSS of its whole
    process tree sampled twice a second (on Ray, the actors and Ray's own processes too). The
    ratio of the largest to the smallest run is taken on the tree's peak, per engine.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    result: dict[str, Any] = {"runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        model = _memory_model(Path(tmp) / "model")
        texts = _short_rows(max(rows))
        for n in rows:
            data = Path(tmp) / f"rows-{n}.parquet"
            with pq.ParquetWriter(data, pa.schema([("id", pa.string()), ("text", pa.string())])) as writer:
                for start in range(0, n, 100_000):
                    stop = min(n, start + 100_000)
                    writer.write_table(pa.table({"id": [f"t{i}" for i in range(start, stop)], "text": texts[start:stop]}))
            for engine in engines:
                out = Path(tmp) / f"predictions-{n}.parquet"
                start = time.perf_counter()
                done, tree_peak = _peak_run([sys.executable, "-c", PEAK_SCRIPT, "predict", "--model", str(model), "--data", str(data), "--out", str(out),
                                             "--no-progress", *ENGINES[engine]])
                seconds = time.perf_counter() - start
                child = json.loads(done.stdout.strip().splitlines()[-1])
                if child["code"] not in (0, None):
                    raise RuntimeError(f"workbench predict --engine {engine} failed on {n} rows: {done.stderr.strip().splitlines()[-1]}")
                result["runs"].append({"engine": engine, "rows": n, "peak_rss_mb": child["peak_rss_mb"], "tree_peak_pss_mb": tree_peak,
                                       "seconds": seconds, "rows_per_s": n / seconds, "input_mb": data.stat().st_size / 2**20,
                                       "generation_rows": pq.ParquetFile(out).metadata.num_rows})
                out.unlink()
            data.unlink()
    result["engines"] = {}
    for engine in engines:
        runs = [r for r in result["runs"] if r["engine"] == engine]
        ratio = runs[-1]["tree_peak_pss_mb"] / runs[0]["tree_peak_pss_mb"]
        result["engines"][engine] = {"peak_memory_ratio": ratio, "driver_peak_ratio": runs[-1]["peak_rss_mb"] / runs[0]["peak_rss_mb"],
                                     "within_10_percent": ratio <= 1.10}
    return result


def run_scaling_benchmark(model_ref: str = "demo:minilm-l3-bbc", data_ref: str = "bbc-news:test", *, documents: int = 3000, words: int = 60,
                          repeats: int = 2, memory_rows: tuple[int, ...] = MEMORY_ROWS, out: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Both measurements; ``out/scaling.json``."""
    result = throughput(model_ref, data_ref, documents=documents, words=words, repeats=repeats)
    result["memory"] = streaming_memory(memory_rows)
    if out is not None:
        write_json(Path(out) / "scaling.json", result)
    return result


def format_scaling_table(result: dict[str, Any]) -> str:
    """Documents per second of each engine with Ray's overhead; the streaming memory at each size."""
    lines = [f"{result['model']}: {result['documents']} documents of {result['words']} words",
             f"{'engine':<28}{'docs/s':>9}{'overhead':>10}{'start s':>9}"]
    for row in result["local"]:
        lines.append(f"{'local, ' + str(row['threads']) + ' thread(s)':<28}{row['docs_per_s']:>9.1f}")
    for row in result["ray"]:
        lines.append(f"{'ray, ' + str(row['workers']) + ' worker(s)':<28}{row['docs_per_s']:>9.1f}{row['overhead']:>9.1%}{row['start_seconds']:>9.1f}")
    for row in result["memory"]["runs"]:
        lines.append(f"predict --engine {row['engine']:<5} {row['rows']:>9,} rows: peak {row['tree_peak_pss_mb']:.0f} MB (all processes; "
                     f"driver {row['peak_rss_mb']:.0f} MB), {row['rows_per_s']:.0f} rows/s")
    for engine, ratios in result["memory"]["engines"].items():
        lines.append(f"peak memory ratio, {engine}: {ratios['peak_memory_ratio']:.3f}")
    return "\n".join(lines)
