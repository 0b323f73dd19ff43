"""How a model is loaded and run: one ``LoadOptions`` record, and the names each option accepts.

``load_model``, the command line's shared options and the report notebooks all take this one
record, so a default is written once (here) and the CLI's choices come from the registries
below (``DEVICES``, ``PRECISIONS``, ``BACKENDS``, ``LONG_TEXT_MODES``): ``--help`` lists
them, and a misspelt name is refused before any data or model is read. Nothing here imports
torch: checking a name costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from ..errors import ParameterError

DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16", "fp16", "int8")
BACKENDS = ("auto", "torch", "onnxruntime")
LONG_TEXT_MODES = ("truncate", "window")


def check_device_name(device: str) -> str:
    """The kind of ``device`` (``cuda`` for ``cuda:1``); a ParameterError for an unknown name."""
    kind = device.split(":", 1)[0]
    if kind not in DEVICES:
        raise ParameterError(f"unknown device {device!r}; use one of: {', '.join(DEVICES)} (or cuda:N)")
    return kind


def check_choice(what: str, value: str, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``; a one-line ParameterError listing them otherwise."""
    if value not in choices:
        raise ParameterError(f"unknown {what} {value!r}; use one of: {', '.join(choices)}")
    return value


def check_batching(*, token_budget: int | None, batch_size: int, long_text: str, stride: int, chunk_size: int | None = None) -> None:
    """The batching and long-text settings are usable: positive sizes, a known mode, a stride of 0 or more."""
    for name, value in (("token budget", token_budget), ("batch size", batch_size), ("chunk size", chunk_size)):
        if value is not None and value < 1:
            raise ParameterError(f"{name} must be at least 1, got {value}")
    check_choice("long-text mode", long_text, LONG_TEXT_MODES)
    if stride < 0:
        raise ParameterError(f"stride must be 0 or more tokens, got {stride}")


def _option(default: Any, help: str, choices: tuple[str, ...] | None = None) -> Any:
    return field(default=default, metadata={"help": help, "choices": choices})


@dataclass(frozen=True)
class LoadOptions:
    """Where and how a model runs; every field is also a command-line option (``--device`` ...).

    device : ``auto`` (CUDA, else MPS, else CPU), ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.
    precision : ``auto`` (bf16 autocast on CUDA, fp32 elsewhere), ``fp32``, ``bf16``, ``fp16``
        or ``int8`` (CPU; about 2x faster, outputs change slightly; see ``models.device``).
    backend : ``auto`` (a classifier on the CPU in fp32: whichever of torch and ONNX Runtime ran it faster on this
        machine with the same outputs, measured once per machine and model shape and kept; see
        ``models.calibration``; torch elsewhere), ``torch``, or ``onnxruntime`` (CPU, fp32: the same outputs within
        1e-6 from ONNX Runtime's kernels, exported once and cached; see ``models.onnx_runtime``).
    batch_size : most texts per forward pass.
    token_budget : most padded tokens per forward pass (halved on out-of-memory); None: the
        device's ``engine.DEFAULT_TOKEN_BUDGET`` (chosen by ``make bench``).
    long_text : ``truncate`` at the model's limit (as the pipeline does) or ``window``: the
        mean over windows of the limit's length that overlap by ``stride`` tokens.
    prompt : a decoder-only LM's prompt file (``records.prompt.read_prompt``): JSON with a template, verbalizers
        (a classifier), chat, shots..., or a plain-text template; None: the model folder's own prompt for the task.
    """

    device: str = _option("auto", f"{', '.join(DEVICES)} or cuda:N.")
    precision: str = _option("auto", "auto (bf16 on CUDA, fp32 elsewhere); int8 runs on CPU, faster, outputs change slightly.", PRECISIONS)
    backend: str = _option("auto", "auto: the faster of torch and onnxruntime for this machine and model, "
                                   "measured once; onnxruntime: CPU, fp32, the same outputs from ONNX Runtime's "
                                   "kernels.", BACKENDS)
    batch_size: int = _option(256, "Most texts per forward pass.")
    token_budget: int | None = _option(None, "Most padded tokens per forward pass (default: per device).")
    long_text: str = _option("truncate", "truncate at the model's limit, or window: average over sliding windows.", LONG_TEXT_MODES)
    stride: int = _option(32, "Tokens of overlap between windows (--long-text window).")
    prompt: str | None = _option(None, "A decoder-only LM's prompt: a JSON file (template, verbalizers, chat, "
                                       "shots) or a text file with the template; default: the model's own prompt for "
                                       "the data's task.")

    def __post_init__(self) -> None:
        check_device_name(self.device)
        check_choice("precision", self.precision, PRECISIONS)
        check_choice("backend", self.backend, BACKENDS)
        check_batching(token_budget=self.token_budget, batch_size=self.batch_size, long_text=self.long_text, stride=self.stride)

    def to_dict(self) -> dict[str, Any]:
        """The options as a JSON-ready dict."""
        return {f.name: getattr(self, f.name) for f in fields(self)}
