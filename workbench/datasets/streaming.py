"""Texts streamed from a data file in chunks, so a corpus larger than memory can be predicted.

``load_dataset`` holds every text of a file in a tuple, which is what evaluation and
explanation want (they go back and forth over the rows). Predicting a few million rows needs
only one chunk at a time: a :class:`TextSource` checks the file and its columns up front (the
same one-line errors as ``load_dataset``) and then yields :class:`TextChunk` records of a fixed
number of rows, read with pyarrow's streaming readers (Parquet row groups, CSV blocks) or
pandas' chunked JSON-lines reader. Checked: pyarrow has no streaming JSON reader
(``pyarrow.json.read_json`` reads the whole file), hence pandas for JSON lines. This is the
local engine's reader; the Ray engine reads CSV and JSON lines with Ray Data's readers and
Parquet through :func:`row_group_batches` (``models.ray_engine.read_table``).

Without an id column, row numbers (from 0) are the ids, as in ``load_dataset``. Ids are not
checked for repeats here: that needs every id in memory, which is what streaming avoids.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .loading import BUILTINS, FILE_FORMATS, check_data_file, column_strings, load_dataset
from ..errors import DataError
from ..io import sha256_file
from ..records import Dataset

STREAMING_FORMATS = {suffix: fmt for suffix, fmt in FILE_FORMATS.items() if fmt != "squad"}  # SQuAD's nested JSON is read whole
READ_ROWS = 8192  # rows pyarrow / pandas read at a time, before re-cutting into chunks


def uri_filesystem(location: str):  # -> (pyarrow.fs.FileSystem, path)
    """The pyarrow file system of a URI and the path within it; a one-line DataError when pyarrow cannot open the URI."""
    from pyarrow import fs

    try:
        return fs.FileSystem.from_uri(location)
    except (ValueError, OSError) as exc:
        raise DataError(f"{location}: pyarrow cannot open this URI ({str(exc).strip().splitlines()[0]}); check the scheme and credentials") from None


def open_location(location: str):  # -> a local path (pyarrow reads it natively) or a pyarrow input file from the URI's file system
    """What pyarrow's readers take for ``location``, a local path or a URI (``s3://``, ``gs://``, ``hdfs://``, ``file://``)."""
    if "://" not in location:
        return location
    filesystem, path = uri_filesystem(location)
    return filesystem.open_input_file(path)


def open_parquet(location: str, **options: Any):  # -> pyarrow.parquet.ParquetFile
    """A Parquet file by path or URI (``options`` go to ``ParquetFile``); a one-line DataError for a file that is not Parquet."""
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(open_location(location), **options)
    except DataError:
        raise
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for a file that is not Parquet
        raise DataError(f"{location} could not be read as parquet: {str(exc).splitlines()[0]}; check the file's format") from None


def row_group_batches(location: str, columns: list[str], rows: int, groups: Iterable[int]) -> Iterator[Any]:
    """``columns`` of the Parquet row groups ``groups``, ``rows`` at a time (pyarrow RecordBatches), in order.

    Each row group gets a fresh reader opened with ``pre_buffer=False``, which keeps memory flat:
    one reader over a whole file keeps what it has read (measured here: about 0.75 MB more per
    8,192 rows). The local reader (``TextSource``) and the Ray engine's (``ray_engine.read_table``)
    both read Parquet through here.
    """
    for group in groups:
        yield from open_parquet(location, pre_buffer=False).iter_batches(batch_size=rows, columns=columns, row_groups=[group])


@dataclass(frozen=True)
class TextChunk:
    """``len(ids)`` consecutive rows of a source, starting at row ``start``; ``labels`` None when the source has none."""

    start: int
    ids: tuple[str, ...]
    texts: tuple[str, ...]
    labels: tuple[str, ...] | None


class TextSource:
    """A data file (``.parquet``, ``.csv``, ``.jsonl``) or a loaded Dataset, read ``rows`` at a time by :meth:`chunks`.

    ``num_rows`` is known up front for Parquet and loaded datasets (None for CSV and JSON
    lines); ``fingerprint`` identifies the data (the file's SHA-256) for resumable runs.
    """

    def __init__(self, ref: str | os.PathLike[str] | Dataset, *, text_column: str = "text", label_column: str | None = None,
                 id_column: str = "id") -> None:
        self.text_column, self.label_column, self.id_column = text_column, label_column, id_column
        if isinstance(ref, Dataset) or os.fspath(ref).partition(":")[0] in BUILTINS:
            self.dataset = ref if isinstance(ref, Dataset) else load_dataset(os.fspath(ref), text_column=text_column, label_column=label_column,
                                                                           id_column=id_column)
            if not isinstance(self.dataset, Dataset):
                raise DataError(f"{self.dataset.name} is not a text dataset; streaming reads texts (with optional labels)")
            self.name, self.location, self.num_rows, self.fingerprint = self.dataset.name, None, len(self.dataset), self.dataset.sha256
            self.has_labels = self.dataset.labels is not None
            return
        self.dataset = None
        self.location = self.name = os.fspath(ref)
        self.path = Path(self.location)
        self.format = self._check_file()
        columns = self._columns()
        for column, option in ((text_column, "--text-column"), (label_column, "--label-column")):
            if column is not None and column not in columns:
                raise DataError(f"{self.name}: no {column!r} column (columns: {', '.join(columns)}); rename one or pass {option}")
        self.has_labels = label_column is not None
        self.has_ids = id_column in columns
        self.num_rows = self._metadata.num_rows if self.format == "parquet" else None
        if self.remote:  # hashing a remote file would read it twice; its size and time of change stand for it
            filesystem, path = uri_filesystem(self.location)
            info = filesystem.get_file_info(path)
            self.fingerprint = hashlib.sha256(f"{self.location}|{info.size}|{info.mtime_ns}".encode()).hexdigest()
        else:
            self.fingerprint = sha256_file(self.path)

    @property
    def remote(self) -> bool:
        """Whether the file is a URI (``s3://``, ``gs://``, ``hdfs://``, ``file://``) that pyarrow's file systems open."""
        return self.dataset is None and "://" in self.location

    def _check_file(self) -> str:
        if not self.remote:
            return check_data_file(self.path, STREAMING_FORMATS)
        from pyarrow import fs

        filesystem, path = uri_filesystem(self.location)
        if filesystem.get_file_info(path).type == fs.FileType.NotFound:
            raise DataError(f"data file not found: {self.location}; check the URI")
        fmt = STREAMING_FORMATS.get(self.path.suffix.lower())
        if fmt is None:
            raise DataError(f"{self.location}: unsupported file type {self.path.suffix or '(none)'!r}; use one of {', '.join(sorted(STREAMING_FORMATS))}")
        return fmt

    @functools.cached_property
    def _metadata(self):  # -> pyarrow.parquet.FileMetaData: the Parquet footer, read once (schema, rows, row groups)
        return open_parquet(self.location).metadata

    def _columns(self) -> list[str]:
        if self.format == "parquet":
            return list(self._metadata.schema.to_arrow_schema().names)
        if self.format == "csv":
            from pyarrow import csv

            try:
                return list(csv.open_csv(open_location(self.location), parse_options=csv.ParseOptions(newlines_in_values=True)).schema.names)
            except (ValueError, OSError) as exc:  # pyarrow's ArrowInvalid is a ValueError
                raise DataError(f"{self.name} could not be read as csv: {str(exc).strip().splitlines()[0]}; check the file's format") from None
        with open(self.path, "rb") if not self.remote else open_location(self.location) as handle:
            head = b""
            while b"\n" not in head and (block := handle.read(1 << 16)):
                head += block
        try:
            return [str(k) for k in json.loads(head.split(b"\n", 1)[0].decode("utf-8", errors="replace"))]
        except (ValueError, TypeError, AttributeError):
            raise DataError(f"{self.name}: the first line is not a JSON object; give one JSON object per line") from None

    def _batches(self) -> Iterator[Any]:
        """The wanted columns as pyarrow RecordBatches, a few thousand rows at a time (JSON lines' values as strings)."""
        wanted = [c for c in (self.text_column, self.label_column, self.id_column if self.has_ids else None) if c is not None]
        try:
            if self.format == "parquet":
                yield from row_group_batches(self.location, wanted, READ_ROWS, range(self._metadata.num_row_groups))
            elif self.format == "csv":
                import pyarrow as pa
                from pyarrow import csv

                reader = csv.open_csv(open_location(self.location), parse_options=csv.ParseOptions(newlines_in_values=True),
                                      convert_options=csv.ConvertOptions(include_columns=wanted, column_types={c: pa.string() for c in wanted},
                                                                         strings_can_be_null=False))
                yield from reader
            else:
                import pandas as pd
                import pyarrow as pa

                blank = lambda v: v is None or (isinstance(v, float) and v != v)  # noqa: E731
                with pd.read_json(open_location(self.location), lines=True, dtype=False, chunksize=READ_ROWS, encoding="utf-8") as reader:
                    for frame in reader:
                        yield pa.record_batch({c: pa.array([None if blank(v) else str(v) for v in frame[c]], pa.string()) for c in wanted})
        except (ValueError, OSError, UnicodeDecodeError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            raise DataError(f"{self.name} could not be read as {self.format}: {str(exc).strip().splitlines()[0]}; check the file's format") from None

    def chunks(self, rows: int) -> Iterator[TextChunk]:
        """Consecutive chunks of ``rows`` rows (the last may be shorter), in file order."""
        if self.dataset is not None:
            d = self.dataset
            for start in range(0, len(d), rows):
                part = slice(start, start + rows)
                yield TextChunk(start, d.ids[part], d.texts[part], d.labels[part] if d.labels is not None else None)
            return
        import pyarrow as pa

        # Rows wait as Arrow batches (zero-copy slices) and become Python objects a chunk at a time
        pending: list = []
        waiting = start = 0
        for batch in self._batches():
            pending.append(batch)
            waiting += batch.num_rows
            while waiting >= rows:
                table = pa.Table.from_batches(pending)
                yield self._chunk(start, table.slice(0, rows).to_pydict())
                pending, waiting, start = table.slice(rows).to_batches(), waiting - rows, start + rows
        if waiting:
            yield self._chunk(start, pa.Table.from_batches(pending).to_pydict())

    def _chunk(self, start: int, columns: dict[str, list]) -> TextChunk:
        n = len(columns[self.text_column])
        ids = column_strings(columns[self.id_column], self.name, self.id_column, "id", start=start) if self.has_ids else \
            tuple(str(start + i) for i in range(n))
        labels = column_strings(columns[self.label_column], self.name, self.label_column, "label", start=start) if self.has_labels else None
        return TextChunk(start, ids, column_strings(columns[self.text_column], self.name, self.text_column, "text", start=start), labels)
