"""Load a model by reference: a local folder or a demo name ``demo:NAME``.

Every model returned, transformer or scikit-learn, follows the Classifier protocol
(``ref``, ``label_names``, ``predict_proba``), so the rest of the workbench never asks which.
"""

from __future__ import annotations

from pathlib import Path

from .errors import ModelError, ParameterError
from .records import Classifier

DEMO_PREFIX = "demo:"


def resolve_model_folder(ref: str) -> Path:
    """The folder a model reference points at, with a one-line error when there is none."""
    if ref.startswith(DEMO_PREFIX):
        from .demos import demo_folder

        return demo_folder(ref[len(DEMO_PREFIX) :])
    folder = Path(ref).expanduser()
    if not folder.exists():
        raise ModelError(f"model folder not found: {ref}; give a local model folder or a demo name (see `workbench models list`)")
    if not folder.is_dir():
        raise ModelError(f"{ref} is a file; give the model's folder (the one holding config.json)")
    return folder


def load_model(ref: str, *, device: str = "auto", batch_size: int = 32) -> Classifier:
    """Load a classifier from a local Hugging Face folder or a demo name.

    Parameters
    ----------
    ref : str
        A folder saved with ``save_pretrained`` (safetensors), a workbench scikit-learn folder,
        or ``demo:minilm-bbc``, ``demo:minilm-l3-bbc``, ``demo:tfidf-logreg``.
    device : str
        ``auto`` (CUDA, else MPS, else CPU), ``cpu``, ``cuda`` or ``mps``.
    batch_size : int
        Most texts per forward pass (halved on CUDA out-of-memory).

    Examples
    --------
    >>> model = load_model("demo:minilm-bbc")
    >>> model.label_names
    ('business', 'entertainment', 'politics', 'sports', 'tech')
    """
    from .tfidf import SklearnClassifier, is_sklearn_folder

    if batch_size < 1:
        raise ParameterError(f"batch size must be at least 1, got {batch_size}")
    folder = resolve_model_folder(ref)
    if is_sklearn_folder(folder):
        from .device import resolve_device

        resolve_device(device)  # a bad --device is an error for every model kind
        return SklearnClassifier(ref, folder)
    from .transformer import TransformerClassifier

    return TransformerClassifier(ref, folder, device=device, batch_size=batch_size)
