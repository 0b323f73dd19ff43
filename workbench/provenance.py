"""Where a result came from: the model's fingerprint, the data's hash and the library versions.

``Predictions`` and ``Metrics`` carry a :class:`records.Provenance`, so ``workbench evaluate``
output says what produced it without a report around it; reports add the git state, the
platform and the device (``report.manifest``). Versions come from ``importlib.metadata``;
the processor from :func:`machine`.
"""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from .records import Classifier, Dataset, Provenance

PACKAGES = (
    "workbench", "torch", "transformers", "tokenizers", "safetensors", "numpy", "scipy", "scikit-learn", "statsmodels",
    "pandas", "matplotlib", "shap", "lime", "captum", "onnxruntime", "skops", "rouge-score", "sacrebleu",
    "papermill", "nbclient", "nbconvert", "nbformat", "ipykernel", "ipywidgets",
)


# The vector instruction sets that decide which code paths MKL, oneDNN and ATen run, so the order fp32 sums are added in
ISA_FLAGS = (
    "sse4_2", "avx", "avx2", "fma", "f16c", "avx_vnni", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16",
    "amx_tile", "amx_bf16", "amx_int8", "asimd", "sve", "sve2",
)


def machine(cpuinfo: str | os.PathLike[str] = "/proc/cpuinfo") -> dict[str, Any]:
    """The processor that computes a result: its model name, the instruction sets of ``ISA_FLAGS`` it has, its cores.

    fp32 kernels add in an order that depends on the instruction sets they find, so the last digits of a model's outputs
    depend on the processor: a result that is compared across machines carries this beside the package versions.
    Read from ``/proc/cpuinfo`` (Linux, x86 and Arm); elsewhere the model is ``platform.processor()`` and the flags
    are unknown (None). Checked: py-cpuinfo reads the same file on Linux, at the cost of a dependency;
    ``platform.processor()`` is empty on Linux.
    """
    try:
        lines = Path(cpuinfo).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    fields: dict[str, str] = {}
    for line in lines:
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    model = next((fields[k] for k in ("model name", "Model", "Processor", "cpu model") if fields.get(k)), None)
    flags = fields.get("flags", fields.get("Features"))
    return {
        "cpu": model or platform.processor() or platform.machine(),
        "isa": None if flags is None else [flag for flag in ISA_FLAGS if flag in flags.split()],
        "arch": platform.machine(),
        "cpus": os.cpu_count(),
    }


def package_versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    """Installed version of each package (None where absent)."""
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def provenance(model: Classifier, dataset: Dataset) -> Provenance:
    """The provenance of ``model``'s results on ``dataset``."""
    prompt = getattr(model, "prompt", None)
    return Provenance(model=model.ref, model_fingerprint=model.fingerprint, data=dataset.name,
                      data_sha256=dataset.sha256, packages=package_versions(),
                      prompt=None if prompt is None else prompt.to_dict())
