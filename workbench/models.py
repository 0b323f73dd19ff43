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


def load_model(
    ref: str,
    *,
    device: str = "auto",
    precision: str = "auto",
    backend: str = "torch",
    batch_size: int = 256,
    token_budget: int | None = None,
    long_text: str = "truncate",
    stride: int = 32,
) -> Classifier:
    """Load a classifier from a local Hugging Face folder or a demo name.

    Parameters
    ----------
    ref : str
        A folder saved with ``save_pretrained`` (safetensors), a workbench scikit-learn folder,
        or ``demo:minilm-bbc``, ``demo:minilm-l3-bbc``, ``demo:tfidf-logreg``.
    device : str
        ``auto`` (CUDA, else MPS, else CPU), ``cpu``, ``cuda`` or ``mps``.
    precision : str
        ``auto`` (bf16 autocast on CUDA, fp32 elsewhere), ``fp32``, ``bf16``, ``fp16`` or
        ``int8`` (CPU; about 2x faster, outputs change slightly; see ``precision``).
    backend : str
        ``torch`` (default) or ``onnxruntime`` (CPU, fp32: the same outputs within 1e-6 from
        ONNX Runtime's kernels, exported once and cached; see ``onnxruntime_backend``).
    batch_size : int
        Most texts per forward pass.
    token_budget : int, optional
        Most padded tokens per forward pass (halved on out-of-memory); by default the
        device's ``engine.DEFAULT_TOKEN_BUDGET`` (chosen by ``make bench``).
    long_text : str
        ``truncate`` at the model's limit (default, as the pipeline does) or ``window``:
        average over windows of the limit's length overlapping by ``stride`` tokens.

    Examples
    --------
    >>> model = load_model("demo:minilm-bbc")
    >>> model.label_names
    ('business', 'entertainment', 'politics', 'sports', 'tech')
    """
    from .tfidf import SklearnClassifier, is_sklearn_folder

    folder = resolve_model_folder(ref)
    if is_sklearn_folder(folder):
        from .device import check_device_name

        check_device_name(device)  # a bad --device is an error for every model kind; scikit-learn runs on the CPU
        if precision not in ("auto", "fp32") or backend != "torch":
            option = f"precision {precision!r}" if precision not in ("auto", "fp32") else f"backend {backend!r}"
            raise ParameterError(f"{option} applies to transformer models; {ref} is a scikit-learn model (leave the default)")
        return SklearnClassifier(ref, folder)
    from .engine import EngineOptions
    from .transformer import TransformerClassifier

    options = EngineOptions(token_budget=token_budget, max_batch_size=batch_size, long_text=long_text, stride=stride)
    return TransformerClassifier(ref, folder, device=device, precision=precision, backend=backend, options=options)
