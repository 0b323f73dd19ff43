"""Load a local Hugging Face text-classification folder safely, and classify with it.

Safety rules, checked before transformers reads anything:
* safetensors weights only: a folder with only pickle weights (``pytorch_model.bin``, ``.pt``)
  is refused with the conversion command, since unpickling can run code;
* no remote code: a config or tokenizer config with ``auto_map``, or a ``model_type`` that
  transformers does not ship, is refused; loading always passes ``trust_remote_code=False``,
  so no ``.py`` file in a model folder ever runs.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from .engine import EngineOptions, iter_predict_proba, predict_proba
from .errors import ModelError, ParameterError
from .reading import Reading, tokenizer_reading

os.environ.setdefault("HF_HUB_OFFLINE", "1")

TOKENIZER_SENTINEL = 1_000_000  # tokenizers without a limit report ~1e30 as model_max_length
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
# Models whose position ids start after the padding index, so max_position_embeddings overstates the limit.
POSITION_OFFSET = {"roberta": 2, "xlm-roberta": 2, "camembert": 2, "longformer": 2, "bart": 2, "mbart": 2}
CONVERT_HINT = (
    "convert it once, in an environment you trust, with: python -c \"from transformers import "
    "AutoModelForSequenceClassification as M; M.from_pretrained('{src}', use_safetensors=False).save_pretrained('{src}')\""
)


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' loading chatter (warnings, "Loading weights" bars), then restore it."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path} is not valid JSON ({exc.__class__.__name__}); restore the file from the model's source") from None


def check_model_folder(folder: Path) -> dict:
    """Refuse unsafe or unusable folders before loading; return the parsed config.json."""
    from transformers import CONFIG_MAPPING

    config_path = folder / "config.json"
    if not config_path.is_file():
        raise ModelError(f"{folder} has no config.json, so it is not a Hugging Face model folder; give a folder saved with save_pretrained")
    config = _read_json(config_path)
    tokenizer_config = folder / "tokenizer_config.json"
    for path, data in ((config_path, config), (tokenizer_config, _read_json(tokenizer_config) if tokenizer_config.is_file() else {})):
        if "auto_map" in data:
            raise ModelError(
                f"{path} asks for remote code (auto_map: {sorted(data['auto_map'])}); the workbench never runs code from a model folder; use a model whose architecture ships with transformers"
            )
    model_type = config.get("model_type")
    if model_type not in CONFIG_MAPPING:
        raise ModelError(
            f"{config_path}: model_type {model_type!r} is not a transformers architecture (it would need remote code); use a model whose architecture ships with transformers"
        )
    architectures = config.get("architectures") or []
    if architectures and not any(a.endswith("ForSequenceClassification") for a in architectures):
        raise ModelError(
            f"{folder} holds {', '.join(architectures)}, not a sequence-classification model; fine-tune it for classification first"
        )
    names = {p.name for p in folder.iterdir()}
    if not any(n == "model.safetensors" or n == "model.safetensors.index.json" or n.endswith(".safetensors") for n in names):
        pickles = sorted(n for n in names if n.endswith(PICKLE_SUFFIXES) or n == "pytorch_model.bin.index.json")
        if pickles:
            raise ModelError(f"{folder} has only pickle weights ({', '.join(pickles)}), which the workbench refuses to load; " + CONVERT_HINT.format(src=folder))
        raise ModelError(f"{folder} has no model.safetensors; save the model with save_pretrained (safetensors)")
    return config


def truncation_limit(tokenizer_max: int | None, config) -> int:
    """Tokens per text: ``min(tokenizer.model_max_length, config.max_position_embeddings)``.

    The same limit as ``pipeline(..., truncation=True)``, with a guard for tokenizers that
    report the ~1e30 sentinel instead of a limit (then the position table decides, less the
    position offset of RoBERTa-style models).
    """
    positions = getattr(config, "max_position_embeddings", None)
    if positions is not None:
        positions -= POSITION_OFFSET.get(config.model_type, 0)
    candidates = [v for v in (tokenizer_max, positions) if v is not None and 0 < v < TOKENIZER_SENTINEL]
    return min(candidates) if candidates else 512


class TransformerClassifier:
    """A transformers sequence-classification model behind the workbench's Classifier protocol."""

    def __init__(self, ref: str, folder: Path, *, device: str = "auto", precision: str = "auto", backend: str = "torch", options: EngineOptions | None = None) -> None:
        check_model_folder(folder)
        from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

        from .device import resolve_device
        from .onnxruntime_backend import check_backend
        from .precision import autocast_dtype, check_precision, quantize_int8

        self.ref = ref
        self.folder = folder
        self.device = resolve_device(device)
        check_precision(precision, self.device)
        check_backend(backend, self.device, precision)
        self.precision = precision
        self.backend = backend
        self.autocast = autocast_dtype(precision, self.device)
        self.options = (options or EngineOptions()).for_device(self.device)
        options = {"trust_remote_code": False, "local_files_only": True}
        try:
            with quiet_transformers():
                config = AutoConfig.from_pretrained(folder, **options)
                self.model = AutoModelForSequenceClassification.from_pretrained(folder, config=config, use_safetensors=True, **options)
                self.tokenizer = AutoTokenizer.from_pretrained(folder, **options)
        except (OSError, ValueError) as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"{folder} could not be loaded: {message}; check that the folder is complete") from None
        self.model.eval().to(self.device)
        if precision == "int8":
            self.model = quantize_int8(self.model)
        self.max_length = truncation_limit(self.tokenizer.model_max_length, config)
        if self.options.long_text == "window" and not 0 <= self.options.stride < self.max_length // 2:
            raise ParameterError(f"stride {self.options.stride} is too large for windows of {self.max_length} tokens; use less than {self.max_length // 2}")
        self.label_names = tuple(str(config.id2label[i]) for i in range(config.num_labels))
        self.runner = self.model  # what the engine runs: the torch module, or an ONNX Runtime session
        if backend == "onnxruntime":
            from .onnxruntime_backend import onnxruntime_runner

            self.runner = onnxruntime_runner(self)

    def predict_proba(self, texts: Sequence[str], *, progress: bool | None = None) -> np.ndarray:
        """Class probabilities ``(n, k)`` in ``label_names`` order (see ``engine.predict_proba``)."""
        return predict_proba(self.runner, self.tokenizer, texts, progress=progress, **self._engine_kwargs())

    def iter_predict_proba(self, texts: Iterable[str], *, progress: bool | None = None, total: int | None = None) -> Iterator[np.ndarray]:
        """Stream probabilities chunk by chunk over any iterable of texts (see ``engine.iter_predict_proba``)."""
        return iter_predict_proba(self.runner, self.tokenizer, texts, progress=progress, total=total, **self._engine_kwargs())

    def reading(self, text: str) -> Reading:
        """What the model reads of ``text``: the prefix that fits, or its windows (see ``reading``)."""
        return tokenizer_reading(self.tokenizer, text, max_length=self.max_length, long_text=self.options.long_text, stride=self.options.stride)

    def _engine_kwargs(self) -> dict:
        return {"device": self.device, "max_length": self.max_length, "options": self.options, "autocast": self.autocast}

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the folder's files and the options that change outputs (for caches, manifests)."""
        from .io import folder_fingerprint

        settings = {"precision": self.precision, "backend": self.backend, "max_length": self.max_length, "long_text": self.options.long_text, "stride": self.options.stride}
        return folder_fingerprint(self.folder, settings)

    @cached_property
    def num_parameters(self) -> int:
        """Number of parameters of the network."""
        return sum(p.numel() for p in self.model.parameters())

    def __repr__(self) -> str:
        return f"TransformerClassifier({self.ref!r}, labels={list(self.label_names)}, device={self.device.type}, precision={self.precision}, backend={self.backend}, max_length={self.max_length})"
