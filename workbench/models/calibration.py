"""The fastest exact backend for a classifier on this machine, measured once and kept: what ``backend="auto"`` runs.

Which kernels run a model fastest depends on the processor: ``make bench`` measured ONNX Runtime's fp32 kernels at
0.94x torch eager on an Intel Xeon (AVX-512 VNNI) and 1.7x on an AMD EPYC, on the same 128-token documents. So the
first time a classifier loads on a CPU in fp32, :func:`calibrated_backend` times torch eager (the runner the engine
would run, a BERT's :class:`first_token.FirstTokenHead`) and ONNX Runtime on a
check batch (seeded token ids: rows of the model's full length and rows of a quarter of it, the shapes of whole
documents and of perturbed ones, about the engine's token budget each), alternating them ``ROUNDS`` times and keeping
each one's fastest pass. ONNX Runtime is chosen when it is at least ``MARGIN`` times faster and gives torch's
probabilities within ``TOLERANCE``; else torch. The choice and its figures go to
``$WORKBENCH_HOME/calibration/backend-<key>.json``, keyed by the processor and its instruction sets, the threads, the
library versions and the weights (exactness is the weights'; the ONNX export is made per weights too), so every later
load on this machine reads the same choice and gives the same bytes; the records name it (``params["backend"]``), and
``--backend torch`` forces torch.

``MARGIN`` is above the run-to-run swing of a timing (up to 15 % on these 2-core machines), so that a near tie, where
the choice saves little, does not flip between two fresh homes on one machine. ``TOLERANCE`` is fp32 rounding's own
reach: torch's probabilities move by up to 1.2e-6 when the same texts are batched otherwise, and by 1.9e-6 under
another processor's order of addition (``tests/test_regression.py``), so a tighter bound would call torch inexact
against itself. On this project's Xeon the demo MiniLM's check batch differed by 1.5e-6 between the two.

``torch.compile`` is not a candidate: ``make bench`` measured it at 1.02x to 1.05x torch eager on this project's
Xeon, within the run-to-run swing, and it compiles again in every process. Gradients always run on torch.
Checked: optimum's ``ORTModel`` exports and runs ONNX Runtime but does not choose between backends; nothing in
transformers, optimum or onnxruntime measures which is faster for a model on the machine at hand.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import time
from typing import Any

import numpy as np

from ..io import folder_fingerprint, workbench_home, write_json
from ..provenance import machine
from .engine import probabilities
from .onnx_runtime import EXPORT_VERSION, onnxruntime_runner

MARGIN = 1.25  # ONNX Runtime must beat torch by this factor: a near tie keeps torch
TOLERANCE = 2e-6  # the largest difference in probability an exact backend may make
ROUNDS = 5
CHECK_ROWS = ((8, 1), (32, 4))  # (rows, divisor of the full length): whole documents, then perturbed ones
VERSION = 2  # part of the key (with the export's): a change to the check or to the torch runner makes new ones


def applies(classifier: Any) -> bool:
    """Whether there is a choice to make: a classifier on the CPU in fp32, with onnxruntime installed."""
    return (classifier.device.type == "cpu" and classifier.precision in ("auto", "fp32")
            and importlib.util.find_spec("onnxruntime") is not None)


def shape(config: Any, max_length: int) -> dict[str, Any]:
    """What the speed of a transformer classifier depends on, besides the machine: its architecture's dimensions."""
    keys = ("model_type", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size",
            "num_labels")
    return {**{key: getattr(config, key, None) for key in keys}, "max_length": max_length}


def calibration_key(classifier: Any) -> dict[str, Any]:
    """Everything the choice depends on: the machine, the threads, the libraries and the weights (with their shape)."""
    import torch

    return {
        "version": VERSION, "processor": machine(), "threads": torch.get_num_threads(),
        "torch": torch.__version__, "onnxruntime": importlib.metadata.version("onnxruntime"), "export": EXPORT_VERSION,
        "weights": folder_fingerprint(classifier.folder, {}),
        "shape": shape(classifier.model.config, classifier.max_length),
    }


def check_batches(classifier: Any) -> list[dict[str, Any]]:
    """The check batch: seeded token ids of ordinary vocabulary, full rows then short ones, as the engine feeds them."""
    import torch

    rng = np.random.default_rng(0)
    special = set(classifier.tokenizer.all_special_ids)
    vocabulary = np.array([i for i in range(classifier.model.config.vocab_size) if i not in special])
    batches = []
    for rows, divisor in CHECK_ROWS:
        length = max(2, classifier.max_length // divisor)
        ids = torch.from_numpy(rng.choice(vocabulary, size=(rows, length)).astype(np.int64))
        batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
        if "token_type_ids" in classifier.tokenizer.model_input_names:
            batch["token_type_ids"] = torch.zeros_like(ids)
        batches.append(batch)
    return batches


def measure(runners: dict[str, Any], batches: list[dict[str, Any]]) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Each runner's fastest timed pass over ``batches`` (seconds; rounds alternate the runners) and its
    probabilities."""
    import torch

    seconds = {name: float("inf") for name in runners}
    outputs: dict[str, np.ndarray] = {}
    with torch.inference_mode():
        for _ in range(ROUNDS):
            for name, runner in runners.items():
                # an untimed pass first: it absorbs what the other runner left behind (ONNX Runtime's threads spin
                # for a while after a run), and the first round's allocations and lazy initialisation
                outputs[name] = np.concatenate([probabilities(runner(**batch), ()) for batch in batches])
                start = time.perf_counter()
                for batch in batches:
                    runner(**batch)
                seconds[name] = min(seconds[name], time.perf_counter() - start)
    return seconds, outputs


def choose(seconds: dict[str, float], max_abs_diff: float) -> str:
    """ONNX Runtime when it is ``MARGIN`` times faster than torch and exact within ``TOLERANCE``; else torch."""
    exact = max_abs_diff <= TOLERANCE
    return "onnxruntime" if exact and seconds["torch"] >= MARGIN * seconds["onnxruntime"] else "torch"


def calibrated_backend(classifier: Any) -> tuple[str, dict[str, Any] | None]:
    """The backend ``auto`` runs ``classifier`` on (``torch`` or ``onnxruntime``) and the calibration it read or made
    (None where there is no choice: see :func:`applies`)."""
    if not applies(classifier):
        return "torch", None
    key = calibration_key(classifier)
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    path = workbench_home() / "calibration" / f"backend-{digest}.json"
    if path.is_file():
        calibration = json.loads(path.read_text(encoding="utf-8"))
        return calibration["backend"], calibration
    seconds, outputs = measure({"torch": classifier.runner, "onnxruntime": onnxruntime_runner(classifier)},
                               check_batches(classifier))
    max_abs_diff = float(np.max(np.abs(outputs["torch"] - outputs["onnxruntime"])))
    calibration = {
        "backend": choose(seconds, max_abs_diff), "seconds": seconds,
        "speedup": seconds["torch"] / seconds["onnxruntime"],
        "max_abs_diff": max_abs_diff, "margin": MARGIN, "tolerance": TOLERANCE, "rounds": ROUNDS,
        "check_rows": [list(rows) for rows in CHECK_ROWS], "key": key,
    }
    write_json(path, calibration)
    return calibration["backend"], calibration
