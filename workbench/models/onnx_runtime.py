"""ONNX Runtime as an inference backend: the engine's batching, ONNX Runtime's CPU kernels.

``load_model(..., backend="onnxruntime")`` exports the model once to ONNX (fp32, through
``torch.onnx.export``; a BERT as the torch engine runs it, its last layer at ``[CLS]`` only, ``first_token``: 1.18x
the whole graph's speed on this project's Xeon), caches the file under ``$WORKBENCH_HOME/onnx/<weights hash>/``, and
runs the batches the engine builds through an ``onnxruntime.InferenceSession``. Outputs equal
torch's within 1e-6 (``make bench`` reports the largest difference); on the AVX-512 machines
measured here ONNX Runtime's kernels ran the demo MiniLM 1.1 to 1.6 times faster than torch
eager. The torch model stays loaded, so the gradient explanations still work.

Checked: optimum's ``ORTModelForSequenceClassification`` does the same export and session but
needs the optimum package and its exporters on top of these two; this is the two calls.
"""

from __future__ import annotations

import inspect
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from .options import BACKENDS, check_choice

OPSET = 17
EXPORT_VERSION = 3  # part of the cache key: a change to how models are exported makes new files


def check_backend(backend: str, device, precision: str, task: str = "classification") -> None:
    """Raise ParameterError for an unknown backend or one that cannot serve this device, precision or task."""
    check_choice("backend", backend, BACKENDS)
    if backend == "onnxruntime":
        if task != "classification":
            raise ParameterError(f"backend 'onnxruntime' serves classifiers; a {task} model runs on --backend torch")
        if device.type != "cpu":
            raise ParameterError(f"backend 'onnxruntime' runs on the CPU here (got {device.type}); use --backend torch")
        if precision not in ("auto", "fp32"):
            raise ParameterError(f"backend 'onnxruntime' runs fp32 (got {precision!r}); use --precision fp32, or --backend torch for int8")
        import importlib.util

        if importlib.util.find_spec("onnxruntime") is None:
            raise ParameterError("backend 'onnxruntime' needs the onnxruntime package; pip install 'workbench[onnx]'")


class OnnxRuntimeModel:
    """An ONNX Runtime session behind the interface the engine calls (``config``, ``(**inputs).logits``)."""

    def __init__(self, path: Path, config: Any, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.config = config

    def __call__(self, **batch: Any) -> Any:
        import torch

        feed = {k: v.numpy() for k, v in batch.items() if k in self.inputs}
        return type("Output", (), {"logits": torch.from_numpy(self.session.run(["logits"], feed)[0])})()


def export_onnx(folder: Path, input_names: list[str], path: Path) -> Path:
    """Export the sequence classifier saved in ``folder`` to ONNX at ``path`` (dynamic batch and length), through the
    runner the torch engine runs (``first_token``)."""
    import torch
    from transformers import AutoModelForSequenceClassification

    from .first_token import first_token_runner
    from .folders import HF_LOAD, quiet_transformers

    with quiet_transformers():  # eager attention: the SDPA path does not trace to a dynamic-shape graph
        eager = AutoModelForSequenceClassification.from_pretrained(folder, attn_implementation="eager", use_safetensors=True, **HF_LOAD).eval()
    runner = first_token_runner(eager)  # a BERT's last layer at [CLS] only, as the torch engine runs it
    parameters = list(inspect.signature(runner.forward).parameters)
    input_names = sorted(input_names, key=parameters.index)  # the tracer passes the example positionally
    example = tuple(torch.ones(2, 16, dtype=torch.long) for _ in input_names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python control flow in the model
        torch.onnx.export(
            runner, example, str(path), input_names=input_names, output_names=["logits"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in input_names}, dynamo=False, opset_version=OPSET,
        )
    return path


def quantize_onnx(source: Path, path: Path) -> Path:
    """A dynamic int8 copy (per-channel weights) of the ONNX model at ``source`` (measured by the benchmark)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(path), weight_type=QuantType.QInt8, per_channel=True)
    return path


def cached_onnx(classifier: Any) -> Path:
    """The classifier's ONNX export, made once per weights and kept under ``$WORKBENCH_HOME/onnx``."""
    from ..io import folder_fingerprint, workbench_home

    final = workbench_home() / "onnx" / folder_fingerprint(classifier.folder, {"opset": OPSET, "export": EXPORT_VERSION})
    if not (final / "model.onnx").is_file():
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".export.", dir=final.parent))
        try:
            export_onnx(classifier.folder, list(classifier.tokenizer.model_input_names), tmp / "model.onnx")
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return final / "model.onnx"


def onnxruntime_runner(classifier: Any) -> OnnxRuntimeModel:
    """An ONNX Runtime session of ``classifier``'s model, threads as torch's."""
    import torch

    return OnnxRuntimeModel(cached_onnx(classifier), classifier.model.config, torch.get_num_threads())
