"""Where the workbench keeps its files, and atomic, byte-stable writing: every output goes through here.

A file is written to a temporary name in its destination folder and renamed into place
(``os.replace``), so a crash or a bad input never leaves half a file under the final name.
JSON is written with sorted keys and a trailing newline, so equal data gives equal bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import IO, Any


def workbench_home() -> Path:
    """``$WORKBENCH_HOME``, else ``~/.cache/workbench``: demo models, ONNX exports, the explanation cache."""
    return Path(os.environ.get("WORKBENCH_HOME") or Path.home() / ".cache" / "workbench").expanduser()


@cache
def _umask() -> int:
    """The process's umask, read once at the first write (reading it means setting it; not done on import)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success rename it to ``path``, else delete it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
    try:
        kwargs = {"encoding": "utf-8", "newline": ""} if "b" not in mode else {}
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def dumps_json(data: Any) -> str:
    """Serialize ``data`` canonically: sorted keys, two-space indent, no NaN, trailing newline."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as canonical JSON to ``path`` atomically."""
    with atomic_open(path) as handle:
        handle.write(dumps_json(data))


def dumps_jsonl(record: Any) -> str:
    """One canonical JSON line: sorted keys, no NaN, no indent, newline-terminated."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def write_jsonl(path: str | os.PathLike[str], records: Iterable[Any]) -> None:
    """Write ``records`` as canonical JSON lines to ``path`` atomically."""
    with atomic_open(path) as handle:
        for record in records:
            handle.write(dumps_jsonl(record))


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, streamed (``hashlib.file_digest``)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def folder_fingerprint(folder: str | os.PathLike[str], settings: Any = None) -> str:
    """SHA-256 over the files directly in ``folder`` (name and content) and ``settings``.

    Names a model's exact weights, tokenizer and configuration together with the options that
    change its outputs (precision, long-text mode), for caches and manifests.
    """
    digest = hashlib.sha256(dumps_json(settings).encode("utf-8"))
    for path in sorted(p for p in Path(folder).iterdir() if p.is_file()):
        digest.update(f"{path.name}\0{sha256_file(path)}\0".encode("utf-8"))
    return digest.hexdigest()
