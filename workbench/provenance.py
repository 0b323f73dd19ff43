"""Where a result came from: the model's fingerprint, the data's hash and the library versions.

``Predictions`` and ``Metrics`` carry a :class:`records.Provenance`, so ``workbench evaluate``
output says what produced it without a report around it; reports add the git state, the
platform and the device (``report.manifest``). Versions come from ``importlib.metadata``.
"""

from __future__ import annotations

from importlib import metadata

from .records import Classifier, Dataset, Provenance

PACKAGES = (
    "workbench", "torch", "transformers", "tokenizers", "safetensors", "numpy", "scipy", "scikit-learn", "statsmodels",
    "pandas", "matplotlib", "shap", "lime", "captum", "onnxruntime", "skops", "rouge-score", "sacrebleu",
    "papermill", "nbclient", "nbconvert", "nbformat", "ipykernel", "ipywidgets",
)


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
    return Provenance(model=model.ref, model_fingerprint=model.fingerprint, data=dataset.name, data_sha256=dataset.sha256, packages=package_versions())
