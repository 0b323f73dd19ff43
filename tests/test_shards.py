"""Sharded outputs: atomic shards, progress, resuming only what is missing, the lock, and a full disk (issue 15, in progress)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from workbench.errors import ParameterError
from workbench.shards import LOCK, ShardedOutput, output_lock

RUN = {"model": "m", "data": "d"}


def test_a_resumed_run_keeps_finished_shards_and_refuses_another_runs_folder(tmp_path):
    out = ShardedOutput(tmp_path, RUN, shard_rows=10)
    out.write(0, lambda handle: handle.write(b"zero"))
    out.write(2, lambda handle: handle.write(b"two"))
    with pytest.raises(ParameterError, match="holds a partial run \\(2 shards done\\); pass --resume"):
        ShardedOutput(tmp_path, RUN, shard_rows=10)
    resumed = ShardedOutput(tmp_path, RUN, shard_rows=10, resume=True)
    assert [resumed.is_done(i) for i in range(3)] == [True, False, True] and resumed.path(2).read_bytes() == b"two"
    with pytest.raises(ParameterError, match="written by another run"):
        ShardedOutput(tmp_path, {**RUN, "model": "other"}, shard_rows=10, resume=True)
    with pytest.raises(ParameterError, match="written by another run"):
        ShardedOutput(tmp_path, RUN, shard_rows=20, resume=True)


def test_a_live_lock_is_refused_and_a_dead_ones_is_taken_over(tmp_path):
    with output_lock(tmp_path):
        child = subprocess.run([sys.executable, "-c", "from pathlib import Path; from workbench.shards import output_lock\n"
                                f"with output_lock(Path({str(tmp_path)!r})): pass"], capture_output=True, text=True)
        assert child.returncode != 0 and f"is being written by process {os.getpid()}" in child.stderr
    assert not (tmp_path / LOCK).exists()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    import socket

    (tmp_path / LOCK).write_text(f'{{"pid": {dead}, "host": "{socket.gethostname()}"}}', encoding="utf-8")
    with output_lock(tmp_path):
        assert str(os.getpid()) in (tmp_path / LOCK).read_text(encoding="utf-8")


def test_a_failed_write_is_one_line_and_keeps_the_shards_written(tmp_path):
    out = ShardedOutput(tmp_path, RUN, shard_rows=10)
    out.write(0, lambda handle: handle.write(b"zero"))

    def full(handle):
        raise OSError(28, "No space left on device")

    with pytest.raises(ParameterError, match="cannot write shard 1 into .*: the disk is full; the 1 shards written are kept"):
        out.write(1, full)
    assert out.path(0).read_bytes() == b"zero" and not out.path(1).exists()
    assert not [p for p in (tmp_path / "shards").iterdir() if p.name.endswith(".tmp")]
