"""The torch device inference runs on, and its numeric precision.

``auto`` is CUDA, else MPS, else the CPU. Precision ``auto`` is bf16 autocast on CUDA devices
that support it (fp16 on older ones) and fp32 elsewhere. ``int8`` replaces every ``nn.Linear``
with a dynamically quantized one whose weights are int8 per output channel
(``torch.ao.quantization.quantize_dynamic`` with ``per_channel_dynamic_qconfig``; activations
are quantized per batch at run time). It runs on CPU only, changes the outputs slightly, and so
is never the default: the benchmark reports its accuracy change beside its speed. Checked:
per-tensor weights (the ``quantize_dynamic`` default) cost the demo MiniLM 0.7-0.9 accuracy
points on bbc-news:test, per-channel none. ``torch.ao`` quantization is deprecated in favour of
torchao (pytorch/pytorch#184982) but is what runs fastest on this AVX2 CPU today; the
benchmark keeps that honest.
"""

from __future__ import annotations

import warnings

from ..errors import ParameterError
from .options import PRECISIONS, check_choice, check_device_name


def resolve_device(device: str = "auto"):  # -> torch.device
    """The device to run on: CUDA, else MPS, else CPU for ``auto``; the named one otherwise.

    Asking for an accelerator that is absent is a ParameterError, not a silent fallback.
    """
    import torch

    kind = check_device_name(device)
    if kind == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ParameterError(f"device {device!r} was asked for but CUDA is not available here; use --device cpu or auto")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise ParameterError("device 'mps' was asked for but MPS is not available here; use --device cpu or auto")
    return torch.device(device)


def check_precision(precision: str, device) -> None:
    """Raise ParameterError for an unknown precision or one the device cannot run."""
    check_choice("precision", precision, PRECISIONS)
    if precision in ("bf16", "fp16") and device.type != "cuda":
        raise ParameterError(f"precision {precision!r} needs a CUDA device (got {device.type}); use fp32 or int8 on CPU")
    if precision == "int8" and device.type != "cpu":
        raise ParameterError(f"precision 'int8' runs on CPU only (got {device.type}); use --device cpu, or bf16 on CUDA")


def autocast_dtype(precision: str, device):  # -> torch.dtype | None
    """The autocast dtype for ``precision`` on ``device``; None means no autocast."""
    import torch

    if device.type != "cuda" or precision in ("fp32", "int8"):
        return None
    if precision == "fp16" or (precision == "auto" and not torch.cuda.is_bf16_supported()):
        return torch.float16
    return torch.bfloat16


def quantize_int8(model):  # -> torch.nn.Module
    """A copy of ``model`` whose Linear layers are dynamic int8 with per-channel weights."""
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the torch.ao deprecation notice, once per layer
        return quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)
