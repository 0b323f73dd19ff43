"""Corpus map benchmark (``make bench``): time to first draw and memory at 5,000 and 50,000 points, in JupyterLab.

The points are BBC sentences (``bbc-sentences``) in a seeded order; the corpus holds 43,978, so 50,000 repeats 6,022
of them (seeded, with ids of their own). For each size a fresh JupyterLab runs a notebook cell that opens the Explorer
of the model on them and the ``CorpusMap`` over it (UMAP of the model's own embeddings), in headless Chromium
(``lab.notebook_in_lab``; WebGL there is SwiftShader's, on the CPU), and records:

* in the kernel: the Explorer's predictions, the map's embeddings and layout (seconds), the same map again in that
  kernel (UMAP's numba code then compiled: what a second map costs) and the kernel's peak RSS;
* in the browser: the time to first draw (from running the cell to the first frame with points on the canvas, the
  kernel's work included), the page's JavaScript heap once drawn (Chrome DevTools Protocol ``Performance.getMetrics``)
  and the frame times while the user zooms (``requestAnimationFrame`` intervals over 20 wheel steps): the map stays
  responsive when they stay near the 16.7 ms of 60 frames a second;
* the baseline, in the same run: matplotlib drawing the same points to a PNG, the static plot one would otherwise make.

Ratios: 50,000 against 5,000 points (time and memory), and the browser's share of the first draw against matplotlib's.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..io import write_json

SIZES = (5_000, 50_000)
WHEEL_STEPS = 20
FRAMES = 180
CELL = """import json, resource, time
import numpy as np
import workbench as wb
from workbench.widgets import CorpusMap, Explorer
started = time.perf_counter()
explorer = Explorer(wb.load_model(model), wb.load_dataset(data), methods=["occlusion"])
explored = time.perf_counter()
view = CorpusMap(explorer, seed=0)
mapped = time.perf_counter()
np.save("points.npy", view.points)
json.dump({"explorer_s": explored - started, "map_s": mapped - explored,
           "kernel_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}, open("kernel.json", "w"))
view"""
WARM = """started = time.perf_counter()
CorpusMap(explorer, seed=0)
json.dump({"map_again_s": time.perf_counter() - started}, open("warm.json", "w"))"""


def sentences(n: int, seed: int = 0) -> Any:
    """``n`` BBC sentences in a seeded order as a frame (id, text, label); past the corpus, seeded repeats with ids of
    their own."""
    import pandas as pd

    from ..datasets import load_dataset

    corpus = load_dataset("bbc-sentences")
    rng = np.random.default_rng(seed)
    rows = [int(i) for i in rng.permutation(len(corpus))[:n]]
    repeats = [int(i) for i in rng.choice(len(corpus), n - len(rows), replace=False)] if n > len(rows) else []
    return pd.DataFrame(
        {
            "id": [corpus.ids[i] for i in rows] + [f"{corpus.ids[i]}/again" for i in repeats],
            "text": [corpus.texts[i] for i in rows + repeats],
            "label": [corpus.labels[i] for i in rows + repeats],
        }
    )


def matplotlib_seconds(points: np.ndarray) -> float:
    """Seconds matplotlib takes to draw ``points`` (one-pixel markers) into a PNG: the static baseline."""
    import io

    from matplotlib.figure import Figure

    start = time.perf_counter()
    fig = Figure(figsize=(8, 5.2), dpi=100)
    fig.subplots().scatter(points[:, 0], points[:, 1], s=1, linewidths=0)
    fig.savefig(io.BytesIO(), format="png")
    return time.perf_counter() - start


def measure(model_ref: str, n: int, browser: str, root: Path) -> dict[str, Any]:
    """One size in a fresh JupyterLab over ``root``: the kernel's and the browser's figures and the baseline."""
    from nbformat import v4, write

    from . import lab

    sentences(n).to_parquet(root / "sentences.parquet")
    parameters = v4.new_code_cell(f"model = {model_ref!r}\ndata = 'sentences.parquet'")
    notebook = v4.new_notebook(cells=[parameters, v4.new_code_cell(CELL), v4.new_code_cell(WARM)])
    notebook.metadata["kernelspec"] = {"name": "workbench", "display_name": "Python (workbench)", "language": "python"}
    write(notebook, root / "map.ipynb")
    with (
        lab.jupyterlab(root) as (base, token),
        lab.notebook_in_lab(base, token, "map.ipynb", browser, cells=2) as (page, errors),
    ):
        started = time.monotonic()
        canvas = page.locator("canvas").first
        canvas.wait_for(timeout=1_800_000)
        while len(lab.painted_pixels(canvas.screenshot())) < 500:
            page.wait_for_timeout(200)
        first_draw = time.monotonic() - started
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        renderer = page.evaluate(
            "() => { const gl = document.createElement('canvas').getContext('webgl'); "
            "const info = gl && gl.getExtension('WEBGL_debug_renderer_info'); "
            "return gl ? gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) : null; }"
        )
        box = canvas.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.evaluate(
            f"() => {{ window.wbFrames = []; const tick = t => {{ window.wbFrames.push(t); "
            f"if (window.wbFrames.length < {FRAMES}) requestAnimationFrame(tick); }}; requestAnimationFrame(tick); }}"
        )
        for _ in range(WHEEL_STEPS):
            page.mouse.wheel(0, -120)
            page.wait_for_timeout(40)
        page.wait_for_function(f"window.wbFrames.length >= {FRAMES}", timeout=120_000)
        frames = np.diff(np.asarray(page.evaluate("window.wbFrames")))
        page.keyboard.press("Shift+Enter")  # the next cell: the same map again in this kernel, UMAP's code compiled
        while not (root / "warm.json").exists():
            page.wait_for_timeout(500)
        if errors:
            raise RuntimeError(f"the page raised: {errors[0]}")
    kernel = {**json.loads((root / "kernel.json").read_text()), **json.loads((root / "warm.json").read_text())}
    points = np.load(root / "points.npy")
    return {
        "points": n,
        **kernel,
        "first_draw_s": first_draw,
        "browser_s": first_draw - kernel["explorer_s"] - kernel["map_s"],
        "js_heap_mb": metrics["JSHeapUsedSize"] / 2**20,
        "frame_ms_median": float(np.median(frames)),
        "frame_ms_p95": float(np.percentile(frames, 95)),
        "matplotlib_s": matplotlib_seconds(points),
        "webgl_renderer": renderer,
    }


def run_corpus_map_benchmark(
    model_ref: str = "demo:tfidf-logreg", *, sizes: tuple[int, ...] = SIZES, out: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """Every size in ``sizes``, then the ratios of the largest to the smallest; ``out/corpus_map.json``.

    The default model is the TF-IDF demo, whose predictions and features cost seconds at 50,000 sentences, so what is
    timed is the map: a transformer adds its own inference (``inference.json``'s documents per second) twice, for the
    Explorer's predictions and for the embeddings.
    """
    import importlib.metadata as md
    import platform
    import shutil

    import torch

    from ..provenance import machine

    browser = shutil.which("chromium")
    if browser is None:
        raise RuntimeError("the corpus map benchmark draws in Chromium; run `make browser` first")
    processor = machine()
    environment = {"python": platform.python_version(), "platform": platform.platform(), "processor": processor,
                   "cpu_count": os.cpu_count(), "threads": torch.get_num_threads(), "device": processor["cpu"],
                   **{flag: flag in processor["isa"] for flag in ("avx2", "avx512", "avx512_vnni", "avx512_bf16")},
                   **{name: md.version(name) for name in ("torch", "transformers", "jupyterlab", "jupyter-scatter",
                                                          "umap-learn")}}
    result: dict[str, Any] = {"model": model_ref, "projection": "umap", "environment": environment}
    runs = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(measure(model_ref, n, browser, Path(tmp)))
    small, large = runs[0], runs[-1]
    result["runs"] = runs
    result["ratios"] = {
        "points": large["points"] / small["points"],
        "first_draw": large["first_draw_s"] / small["first_draw_s"],
        "kernel_peak_rss": large["kernel_peak_rss_mb"] / small["kernel_peak_rss_mb"],
        "js_heap": large["js_heap_mb"] / small["js_heap_mb"],
        "browser_over_matplotlib": {str(r["points"]): r["browser_s"] / r["matplotlib_s"] for r in runs},
    }
    if out is not None:
        write_json(Path(out) / "corpus_map.json", result)
    return result


def format_corpus_map_table(result: dict[str, Any]) -> str:
    """Time to first draw, where it goes, memory and frame times at each size; the growth from the smallest size."""
    lines = [
        f"{result['model']}: bbc-sentences, {result['projection'].upper()} of the model's embeddings, "
        "jupyter-scatter in JupyterLab",
        f"{'points':>8}{'first draw s':>14}{'explorer s':>12}{'map s':>8}{'again s':>9}{'browser s':>11}"
        f"{'matplotlib s':>14}"
        f"{'kernel MB':>11}{'JS heap MB':>12}{'frame ms p50/p95':>18}",
    ]
    for r in result["runs"]:
        lines.append(
            f"{r['points']:>8,}{r['first_draw_s']:>14.1f}{r['explorer_s']:>12.1f}{r['map_s']:>8.1f}"
            f"{r['map_again_s']:>9.1f}{r['browser_s']:>11.1f}"
            f"{r['matplotlib_s']:>14.2f}{r['kernel_peak_rss_mb']:>11.0f}{r['js_heap_mb']:>12.0f}"
            f"{r['frame_ms_median']:>10.1f}/{r['frame_ms_p95']:.1f}"
        )
    ratios = result["ratios"]
    lines.append(
        f"{ratios['points']:.0f}x the points: first draw x{ratios['first_draw']:.2f}, "
        f"kernel memory x{ratios['kernel_peak_rss']:.2f}, "
        f"JS heap x{ratios['js_heap']:.2f}; WebGL: {result['runs'][-1]['webgl_renderer']}"
    )
    return "\n".join(lines)
