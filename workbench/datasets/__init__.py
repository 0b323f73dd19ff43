"""Datasets: the built-in corpora, the user's files and the streaming source, one module a source.

``load_dataset`` (``loading``) reads a reference: a built-in split (``bbc`` for BBC News, ``bbc_qa``
for its quotation questions, ``bbc_headlines`` for its headlines) or a CSV, JSON-lines, Parquet or
SQuAD file (``squad`` reads question-answering rows, ``generation_files`` sources with references).
``streaming.TextSource`` reads a file a chunk at a time for ``workbench predict``. Every check of
the input runs here, before any model loads. Nothing here imports torch.
"""

from __future__ import annotations

from .loading import as_dataset, list_datasets, load_dataset

__all__ = ["as_dataset", "list_datasets", "load_dataset"]
