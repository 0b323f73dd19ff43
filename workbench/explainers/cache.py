"""A disk cache of explanations, keyed by model, text, method and parameters, with a size cap.

LIME and SHAP cost hundreds of model calls a document; notebooks and re-runs ask for the same
explanations again. An entry is one JSON file named by the SHA-256 of (record version, model
fingerprint, text hash, method, target, parameters) under ``$WORKBENCH_HOME/explanations``; a
changed weight file, option, seed, sample budget or record version is a different key, so a
stale entry is never served. Entries are written atomically and hold the record exactly
(floats round-trip through JSON), so a cached explanation is byte-identical to a fresh one.

The cache holds at most ``max_bytes`` (``$WORKBENCH_CACHE_MAX_MB``, default 512 MiB): after a
write that takes it over, the least recently used entries (by modification time, which a hit
refreshes) are deleted until it is under 90 % of the cap. ``workbench cache info`` and
``workbench cache clear`` show and empty it.
Checked: joblib.Memory keys on the function's arguments by pickling them, which would hash the
whole model object on every call, and has no size cap (its ``reduce_size`` must be called by
hand); diskcache would add a SQLite store for what are a few thousand files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from ..io import dumps_json, workbench_home, write_json
from ..records import Attribution

# Bumped when what an explanation means or holds changes (v2: words include symbols, only what the model
# read is explained; v3: the record holds its text), so a cache written by an earlier version is never served.
RECORD_VERSION = 3
DEFAULT_MAX_MB = 512
PRUNE_TO = 0.9  # after pruning, the cache holds at most this share of its cap


def cache_key(model_fingerprint: str, text: str, method: str, target: str, params: Mapping[str, Any]) -> str:
    """The key of one explanation: a SHA-256 over everything that decides its result."""
    text_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    payload = dumps_json({"version": RECORD_VERSION, "model": model_fingerprint, "text": text_hash, "method": method, "target": target, "params": dict(params)})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def default_max_bytes() -> int:
    """The cap from ``$WORKBENCH_CACHE_MAX_MB`` (MiB), else ``DEFAULT_MAX_MB``."""
    text = os.environ.get("WORKBENCH_CACHE_MAX_MB")
    if not text:
        return DEFAULT_MAX_MB * 2**20
    try:
        megabytes = float(text)
    except ValueError:
        raise ParameterError(f"WORKBENCH_CACHE_MAX_MB={text!r} is not a number; set it to the cache's cap in MiB, e.g. 512") from None
    if megabytes < 0:
        raise ParameterError(f"WORKBENCH_CACHE_MAX_MB={text!r} is negative; set it to 0 or more MiB")
    return int(megabytes * 2**20)


class ExplanationCache:
    """Attribution records stored as JSON files under ``root`` (``root/ab/abcdef....json``), at most ``max_bytes`` of them."""

    def __init__(self, root: str | os.PathLike[str], *, max_bytes: int | None = None) -> None:
        self.root = Path(root)
        self.max_bytes = default_max_bytes() if max_bytes is None else max_bytes
        self._size: int | None = None  # bytes on disk, counted at the first write, then kept up to date

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def entries(self) -> list[Path]:
        """Every entry file."""
        return sorted(self.root.glob("??/*.json")) if self.root.is_dir() else []

    def info(self) -> dict[str, Any]:
        """Where the cache is, how many entries it holds, their size and the cap."""
        sizes = [p.stat().st_size for p in self.entries()]
        return {"root": str(self.root), "entries": len(sizes), "bytes": sum(sizes), "max_bytes": self.max_bytes}

    def get(self, key: str) -> Attribution | None:
        """The cached record, or None when absent or unreadable (then it is recomputed); a hit counts as a use."""
        path = self._path(key)
        try:
            record = Attribution.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        return record

    def put(self, key: str, record: Attribution) -> None:
        """Store ``record`` under ``key`` atomically, then prune the least recently used entries if over the cap."""
        path = self._path(key)
        with contextlib.suppress(OSError):
            self._size = None if self._size is None else self._size - path.stat().st_size
        write_json(path, record.to_dict())
        if self._size is None:
            self._size = self.info()["bytes"]
        else:
            self._size += path.stat().st_size
        if self._size > self.max_bytes:
            self.prune(int(PRUNE_TO * self.max_bytes))

    def prune(self, target_bytes: int) -> int:
        """Delete the least recently used entries until the cache holds at most ``target_bytes``; return how many."""
        stats = []
        for path in self.entries():
            with contextlib.suppress(OSError):
                stat = path.stat()
                stats.append((stat.st_mtime_ns, str(path), stat.st_size))
        stats.sort()
        total, removed = sum(size for _, _, size in stats), 0
        for _, name, size in stats:
            if total <= target_bytes:
                break
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)
            total, removed = total - size, removed + 1
        self._size = total
        return removed

    def clear(self) -> int:
        """Delete every entry; return how many there were."""
        count = len(self.entries())
        if self.root.is_dir():
            shutil.rmtree(self.root)
        self._size = 0
        return count


def default_cache() -> ExplanationCache:
    """The cache under ``$WORKBENCH_HOME/explanations``."""
    return ExplanationCache(workbench_home() / "explanations")
