"""A local Hugging Face text-classification folder behind the Classifier protocol.

The folder is checked first (``folders.check_model_folder``: safetensors only, no remote
code); inference runs through the token-budget engine (``engine``) on the device and at the
precision the ``LoadOptions`` ask for, or through ONNX Runtime (``onnx_runtime``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path

import numpy as np

from ..errors import ModelError, ParameterError
from ..reading import Reading, tokenizer_reading
from .engine import EngineOptions, embed, iter_predict_proba, predict_proba
from .folders import HF_LOAD, check_model_folder, quiet_transformers
from .options import LoadOptions

TOKENIZER_SENTINEL = 1_000_000  # tokenizers without a limit report ~1e30 as model_max_length
# Models whose position ids start after the padding index, so max_position_embeddings overstates the limit.
POSITION_OFFSET = {"roberta": 2, "xlm-roberta": 2, "camembert": 2, "longformer": 2, "bart": 2, "mbart": 2}


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


class TransformerModel:
    """A transformers model loaded safely onto a device and precision, with the engine's options.

    The shared part of every task's adapter: the folder checks for ``task``, the device,
    precision and backend checks, the weights and tokenizer (``auto_class``, safetensors, no
    remote code), int8 quantization, the token limit, the fingerprint. Subclasses add what the
    task does with the outputs.
    """

    task = "classification"
    auto_class = "AutoModelForSequenceClassification"

    def __init__(self, ref: str, folder: Path, options: LoadOptions | None = None) -> None:
        check_model_folder(folder, self.task)
        import transformers
        from transformers import AutoConfig, AutoTokenizer

        from .device import autocast_dtype, check_precision, quantize_int8, resolve_device
        from .onnx_runtime import check_backend

        options = options or LoadOptions()
        self.ref = ref
        self.folder = folder
        self.load_options = options
        self.device = resolve_device(options.device)
        check_precision(options.precision, self.device)
        check_backend(options.backend, self.device, options.precision, self.task)
        self.precision = options.precision
        self.backend = "torch" if options.backend == "auto" else options.backend  # a classifier may choose otherwise
        self.autocast = autocast_dtype(options.precision, self.device)
        self.options = EngineOptions(token_budget=options.token_budget, max_batch_size=options.batch_size, long_text=options.long_text,
                                     stride=options.stride).for_device(self.device)
        try:
            with quiet_transformers():
                self.config = AutoConfig.from_pretrained(folder, **HF_LOAD)
                self.model = getattr(transformers, self.auto_class).from_pretrained(folder, config=self.config, use_safetensors=True, **HF_LOAD)
                self.tokenizer = AutoTokenizer.from_pretrained(folder, **HF_LOAD)
        except (OSError, ValueError) as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"{folder} could not be loaded: {message}; check that the folder is complete") from None
        self.model.eval().to(self.device)
        if self.precision == "int8":
            self.model = quantize_int8(self.model)
        self.max_length = truncation_limit(self.tokenizer.model_max_length, self.config)
        self.runner = self.model  # what the engine runs: the torch module, or an ONNX Runtime session

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the folder's files and the options that change outputs (for caches, manifests)."""
        from ..io import folder_fingerprint

        settings = {"precision": self.precision, "backend": self.backend, "max_length": self.max_length, "long_text": self.options.long_text, "stride": self.options.stride}
        prompt = getattr(self, "prompt", None)
        if prompt is not None:  # a generator's prompt changes every output
            settings["prompt"] = prompt.to_dict()
        return folder_fingerprint(self.folder, settings)

    @cached_property
    def num_parameters(self) -> int:
        """Number of parameters of the network."""
        return sum(p.numel() for p in self.model.parameters())

    def embed(self, texts: Sequence[str], *, progress: bool | None = None) -> np.ndarray:
        """Each text as one vector of the network's own: the mean of its last hidden states over the tokens it reads
        (an encoder-decoder's encoder; a long text's windows averaged), float32 ``(n, hidden)``; what the corpus map
        projects. The torch weights run even under the ONNX Runtime backend, whose graph ends at the task's head."""
        net = self.model
        encoder = net.get_encoder() if getattr(net.config, "is_encoder_decoder", False) else net.base_model
        return embed(encoder, self.tokenizer, texts, device=self.device, max_length=self.max_length,
                     options=self.options, autocast=self.autocast, progress=progress)


class TransformerClassifier(TransformerModel):
    """A transformers sequence-classification model behind the workbench's Classifier protocol."""

    def __init__(self, ref: str, folder: Path, options: LoadOptions | None = None) -> None:
        super().__init__(ref, folder, options)
        if self.options.long_text == "window" and not 0 <= self.options.stride < self.max_length // 2:
            raise ParameterError(f"stride {self.options.stride} is too large for windows of {self.max_length} tokens; use less than {self.max_length // 2}")
        self.label_names = tuple(str(self.config.id2label[i]) for i in range(self.config.num_labels))
        from .first_token import first_token_runner

        self.runner = first_token_runner(self.model)  # a BERT's last layer at [CLS] only: the same logits, less work
        self.calibration: dict | None = None  # how ``auto`` chose the backend (``models.calibration``)
        if self.load_options.backend == "auto":
            from .calibration import calibrated_backend

            self.backend, self.calibration = calibrated_backend(self)
            self.load_options = replace(self.load_options, backend=self.backend)  # a Ray actor loads the same choice
        if self.backend == "onnxruntime":
            from .onnx_runtime import onnxruntime_runner

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

    def __repr__(self) -> str:
        return f"TransformerClassifier({self.ref!r}, labels={list(self.label_names)}, device={self.device.type}, precision={self.precision}, backend={self.backend}, max_length={self.max_length})"
