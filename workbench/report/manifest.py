"""Provenance for a report's manifest.json: the environment, the code version and the inputs.

A report is re-runnable and trustworthy only if it says exactly what ran: the Python and
package versions (``importlib.metadata``), the platform, the processor and its instruction
sets (fp32 results' last digits depend on them), the device, the git commit of the
notebook's repository and whether it had uncommitted changes, and SHA-256 hashes of the model
files and of the data. Checked: ``torch.utils.collect_env`` prints a similar summary but as
text and without the explainability packages, so the fields are gathered here.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..io import sha256_file
from ..provenance import machine, package_versions


def git_state(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The commit checked out in the repository around ``folder`` and whether its tree is dirty."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def device_info() -> dict[str, Any]:
    """The device ``auto`` resolves to here, and the GPU's name and CUDA version when there is one."""
    import torch

    from ..models.device import resolve_device

    info: dict[str, Any] = {"auto": str(resolve_device("auto")), "torch_threads": torch.get_num_threads(), "cuda": torch.version.cuda}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def environment(notebook: str | os.PathLike[str]) -> dict[str, Any]:
    """Versions, platform, device and git state for a report of ``notebook``."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "processor": machine(),
        "packages": package_versions(),
        "device": device_info(),
        "git": git_state(Path(notebook).resolve().parent),
    }


def model_provenance(ref: str) -> dict[str, Any]:
    """The folder a model reference names and the SHA-256 of each of its files.

    Raises the loader's one-line ModelError when the reference names no model.
    """
    from ..models import resolve_model_folder

    folder = resolve_model_folder(ref)
    files = {path.name: sha256_file(path) for path in sorted(folder.iterdir()) if path.is_file()}
    return {"ref": ref, "folder": str(folder.resolve()), "files": files}


def data_provenance(ref: str) -> dict[str, Any]:
    """The task, rows, labels (classification) and the SHA-256 of a dataset's content (and of its file, for a data file)."""
    from ..datasets.loading import load_dataset

    dataset = load_dataset(ref)
    record: dict[str, Any] = {"ref": ref, "task": dataset.task, "rows": len(dataset), "sha256": dataset.sha256}
    if dataset.task == "classification":
        record["labels"] = list(dataset.label_names)
    if Path(ref).is_file():
        record["file_sha256"] = sha256_file(ref)
    return record
