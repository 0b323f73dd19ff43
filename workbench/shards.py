"""Sharded outputs that survive a kill: each shard written atomically, a progress record, a lock, and resuming.

A long run (predicting millions of rows, explaining thousands of documents) writes its results
into ``DIR/shards/part-NNNNN.<suffix>``, one file per shard of input rows, each through
``io.atomic_open`` (so a kill never leaves half a shard), and after each shard rewrites
``DIR/progress.json`` with the run's key (what produced it: model fingerprint, data hash,
options) and the shards done. Started again with ``resume=True`` on the same run key, the run
skips the finished shards; a different key, or a partial run without ``resume``, is a one-line
error. :func:`write_sharded` writes a table (``.csv``, ``.parquet`` or ``.jsonl``) this way and joins its shards
into one file at the end. ``DIR/.workbench.lock`` holds the writing process's id: a second run on the same folder
while the first is alive is refused (a lock left by a killed process is taken over). A full disk
or an unwritable folder is a one-line error that leaves the earlier shards intact.

Checked: Ray Data's ``write_parquet`` writes shards but keeps no record of which finished, and
papermill/joblib have no resumable sharded output; this module is what both engines write
through.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import socket
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from .errors import ParameterError
from .io import atomic_open, dumps_jsonl, write_json

logger = logging.getLogger(__name__)
LOCK = ".workbench.lock"
PROGRESS = "progress.json"
SHARDS = "shards"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def output_lock(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s lock for the duration: a one-line ParameterError while another live process holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK
    owner = {"pid": os.getpid(), "host": socket.gethostname()}
    while True:
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                held = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                held = {}
            if held.get("host") == owner["host"] and isinstance(held.get("pid"), int) and not _alive(held["pid"]):
                path.unlink(missing_ok=True)  # left by a killed run on this machine: take it over
                continue
            raise ParameterError(f"{folder} is being written by process {held.get('pid', '?')} on {held.get('host', '?')}; "
                                 "wait for it to finish or give another --out") from None
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(owner, handle)
        break
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


class ShardedOutput:
    """The shards of one run in ``folder``: which are done, writing one, and resuming (see the module docstring)."""

    def __init__(self, folder: str | os.PathLike[str], run: Mapping[str, Any], *, shard_rows: int, suffix: str = "parquet",
                 resume: bool = False) -> None:
        if shard_rows < 1:
            raise ParameterError(f"shard size must be at least 1 row, got {shard_rows}")
        self.folder = Path(folder)
        self.run = dict(run, shard_rows=shard_rows)
        self.shard_rows = shard_rows
        self.suffix = suffix
        self.done: set[int] = set()
        self.rows: dict[int, int] = {}  # rows in each shard done
        progress = self.folder / PROGRESS
        if progress.is_file():
            recorded = json.loads(progress.read_text(encoding="utf-8"))
            if not resume:
                raise ParameterError(f"{self.folder} holds a partial run ({len(recorded.get('done', []))} shards done); "
                                     "pass --resume to finish it, or give another --out")
            if recorded.get("run") != self.run:
                raise ParameterError(f"{self.folder} was written by another run (its model, data or options differ); "
                                     "give another --out, or delete the folder to start again")
            self.done = {i for i in recorded.get("done", []) if self.path(i).is_file()}
            self.rows = {int(i): n for i, n in recorded.get("rows", {}).items() if int(i) in self.done}

    def path(self, index: int) -> Path:
        """Where shard ``index`` lives."""
        return self.folder / SHARDS / f"part-{index:05d}.{self.suffix}"

    def is_done(self, index: int) -> bool:
        """Whether shard ``index`` was written by this run or the one it resumes."""
        return index in self.done

    def write(self, index: int, write: Any, *, rows: int = 0) -> None:
        """Write shard ``index`` (of ``rows`` rows) atomically with ``write(handle)`` (a binary handle), then record it in progress.json."""
        try:
            with atomic_open(self.path(index), "wb") as handle:
                write(handle)
            self.done.add(index)
            self.rows[index] = rows
            write_json(self.folder / PROGRESS, {"run": self.run, "done": sorted(self.done), "rows": {str(i): self.rows[i] for i in sorted(self.rows)}})
        except OSError as exc:
            reason = "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror or type(exc).__name__
            raise ParameterError(f"cannot write shard {index} into {self.folder}: {reason}; the {len(self.done)} shards written are kept, "
                                 "free space or fix the folder and run again with --resume") from None


def _shard_writer(frame: Any, suffix: str, *, header: bool) -> Callable[[BinaryIO], Any]:
    """Write one shard (a pandas DataFrame) in the format of ``suffix``; a CSV's header only in the first shard."""
    if suffix == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        return lambda handle: pq.write_table(table, handle)
    if suffix == "jsonl":
        data = "".join(dumps_jsonl(row) for row in frame.to_dict("records")).encode("utf-8")
    else:
        data = frame.to_csv(index=False, header=header, lineterminator="\n").encode("utf-8")
    return lambda handle: handle.write(data)


def _join(parts: list[Path], handle: BinaryIO, suffix: str) -> None:
    """The shards one after another in one file; Parquet row group by row group (never the whole table in memory)."""
    if suffix != "parquet":
        for part in parts:
            handle.write(part.read_bytes())
        return
    import pyarrow.parquet as pq

    writer = None
    for part in parts:
        table = pq.read_table(part)
        writer = writer or pq.ParquetWriter(handle, table.schema)
        writer.write_table(table)
    if writer is not None:
        writer.close()


def write_sharded(
    path: str | os.PathLike[str], run: Mapping[str, Any], frames: Callable[[ShardedOutput], Iterable[tuple[int, Any]]], *,
    shard_rows: int, resume: bool = False, total: int | None = None, progress: bool | None = None,
) -> int:
    """Write a table into ``path`` shard by shard and return its row count.

    ``frames(shards)`` yields ``(index, DataFrame)`` for each shard not yet done; each is written atomically into
    ``PATH.shards/`` and recorded, so a run started again with ``resume`` skips the shards done (they are logged at
    INFO, as the shards written are). At the end the shards are joined into ``path`` atomically, byte-identical to an
    uninterrupted run's file, and the shard folder is removed. ``progress``: one bar over ``total`` rows.
    """
    from tqdm.auto import tqdm

    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    folder = path.with_name(path.name + ".shards")
    with output_lock(folder):
        shards = ShardedOutput(folder, run, shard_rows=shard_rows, suffix=suffix, resume=resume)
        for index in sorted(shards.done):
            first = index * shard_rows
            logger.info("shard %d (rows %d-%d) was done earlier; skipped", index, first, first + shards.rows[index] - 1)
        # one bar over the run's rows (those of shards done earlier counted from the start)
        with tqdm(total=total, initial=sum(shards.rows.values()), desc="predict", unit="row",
                  disable=None if progress is None else not progress) as bar:
            for index, frame in frames(shards):
                shards.write(index, _shard_writer(frame, suffix, header=index == 0), rows=len(frame))
                first = index * shard_rows
                logger.info("shard %d (rows %d-%d) written", index, first, first + len(frame) - 1)
                bar.update(len(frame))
        parts = [shards.path(index) for index in range(max(shards.done) + 1 if shards.done else 0)]
        with atomic_open(path, "wb") as handle:
            _join(parts, handle, suffix)
    shutil.rmtree(folder, ignore_errors=True)
    return sum(shards.rows.values())
