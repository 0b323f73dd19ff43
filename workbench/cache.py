"""A disk cache of explanations, keyed by model, text, method and parameters.

LIME and SHAP cost hundreds of model calls a document; notebooks and re-runs ask for the same
explanations again. An entry is one JSON file named by the SHA-256 of (record version, model
fingerprint, text hash, method, target, parameters) under ``$WORKBENCH_HOME/explanations``; a
changed weight file, option, seed, sample budget or record version is a different key, so a
stale entry is never served.
Entries are written atomically and hold the record exactly (floats round-trip through JSON),
so a cached explanation is byte-identical to a fresh one. Checked: joblib.Memory keys on the
function's arguments by pickling them, which would hash the whole model object on every call.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .io import dumps_json, write_json
from .records import Attribution


# Bumped when what an explanation means changes (v2: words include symbols, only what the model
# read is explained), so a cache written by an earlier version is never served.
RECORD_VERSION = 2


def cache_key(model_fingerprint: str, text: str, method: str, target: str, params: Mapping[str, Any]) -> str:
    """The key of one explanation: a SHA-256 over everything that decides its result."""
    text_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    payload = dumps_json({"version": RECORD_VERSION, "model": model_fingerprint, "text": text_hash, "method": method, "target": target, "params": dict(params)})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ExplanationCache:
    """Attribution records stored as JSON files under ``root`` (``root/ab/abcdef....json``)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> Attribution | None:
        """The cached record, or None when absent or unreadable (then it is recomputed)."""
        try:
            return Attribution.from_dict(json.loads(self._path(key).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def put(self, key: str, record: Attribution) -> None:
        """Store ``record`` under ``key`` atomically."""
        write_json(self._path(key), record.to_dict())


def default_cache() -> ExplanationCache:
    """The cache under ``$WORKBENCH_HOME/explanations``."""
    from .demos import workbench_home

    return ExplanationCache(workbench_home() / "explanations")
