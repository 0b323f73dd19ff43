"""Choose the torch device that inference runs on."""

from __future__ import annotations

from .errors import ParameterError

DEVICES = ("auto", "cpu", "cuda", "mps")


def check_device_name(device: str) -> str:
    """The kind of ``device`` (``cuda`` for ``cuda:1``); a ParameterError for an unknown name (no torch import)."""
    kind = device.split(":", 1)[0]
    if kind not in DEVICES:
        raise ParameterError(f"unknown device {device!r}; use one of: {', '.join(DEVICES)} (or cuda:N)")
    return kind


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

