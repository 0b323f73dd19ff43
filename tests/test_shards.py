"""Sharded outputs: atomic shards, progress, resuming only what is missing, the lock, and a full disk (issue 15)."""

from __future__ import annotations

import json
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


def kill_mid_run(command: list[str], out, *, env: dict | None = None, timeout: float = 120) -> list[int]:
    """Run ``command`` (a `workbench predict` or `evaluate` writing the predictions file ``out``), SIGKILL it once two shards are
    done; the shards it finished."""
    import signal
    import time

    progress = out.with_name(out.name + ".shards") / "progress.json"
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None:
        if progress.is_file() and len(json.loads(progress.read_text())["done"]) >= 2:
            break
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    done = json.loads(progress.read_text())["done"]
    assert child.returncode == -signal.SIGKILL and 2 <= len(done) < 20 and not out.exists()
    return done


@pytest.mark.parametrize("verb", ["predict", "evaluate"])
def test_a_run_killed_mid_run_resumes_to_the_same_bytes_without_redoing_finished_shards(tmp_path, tiny_model_dir, verb):
    """SIGKILL `workbench predict` (or `evaluate`) once two shards are written, run it again with --resume: the same files as an
    uninterrupted run (evaluate: its metrics computed from the predictions read back from the shards)."""
    import pandas as pd

    from .conftest import TINY_ROWS

    rows = [{"id": f"r{i}", "text": f"{TINY_ROWS[i % len(TINY_ROWS)][0]} {i}", "label": TINY_ROWS[i % len(TINY_ROWS)][1]} for i in range(6000)]
    data = tmp_path / "big.parquet"
    pd.DataFrame(rows).to_parquet(data)
    command = [sys.executable, "-m", "workbench.cli", verb, "--model", str(tiny_model_dir), "--data", str(data), "--shard-rows", "300",
               "--no-progress", "--out"]
    written = (lambda out: out) if verb == "predict" else (lambda out: out / "predictions.csv")  # the predictions file
    whole = subprocess.run([*command, str(tmp_path / "whole.csv")], capture_output=True, text=True)
    assert whole.returncode == 0, whole.stderr
    out = tmp_path / "killed.csv"
    done = kill_mid_run([*command, str(out)], written(out))
    again = subprocess.run([*command, str(out)], capture_output=True, text=True)
    assert again.returncode == 2 and "holds a partial run" in again.stderr and again.stderr.count("\n") == 1
    resumed = subprocess.run([*command, str(out), "--resume"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert written(out).read_bytes() == written(tmp_path / "whole.csv").read_bytes()
    if verb == "evaluate":
        assert (out / "metrics.json").read_bytes() == (tmp_path / "whole.csv" / "metrics.json").read_bytes()
        assert json.loads((out / "metrics.json").read_text())["n"] == 6000
    skipped = [line for line in resumed.stderr.splitlines() if "was done earlier; skipped" in line]
    assert len(skipped) == len(done) and all(f"shard {i} " in line for i, line in zip(done, skipped))
    assert not any(f"shard {i} " in line and "written" in line for i in done for line in resumed.stderr.splitlines())
    assert not written(out).with_name(written(out).name + ".shards").exists()


def test_text_sources_read_paths_and_uris_alike_and_refuse_bad_files_in_one_line(tmp_path):
    """A file read through pyarrow's file systems (a URI) gives the chunks the local reader gives; bad files are one DataError."""
    import pandas as pd

    from workbench.errors import DataError
    from workbench.datasets.streaming import TextSource

    data = tmp_path / "d.csv"
    pd.DataFrame({"text": [f"text {i}\nwith a line break" for i in range(25)], "label": ["a", "b"] * 12 + ["a"], "id": range(25)}).to_csv(data, index=False)
    local, uri = TextSource(data, label_column="label"), TextSource(f"file://{data}", label_column="label")
    assert list(uri.chunks(10)) == list(local.chunks(10)) and [len(c.ids) for c in local.chunks(10)] == [10, 10, 5]
    first = next(local.chunks(10))
    assert first.ids[:2] == ("0", "1") and first.texts[0] == "text 0\nwith a line break" and first.labels[:2] == ("a", "b")
    assert uri.fingerprint != local.fingerprint and local.remote is False and uri.remote is True
    (tmp_path / "squad.json").write_text("{}", encoding="utf-8")
    for bad, message in ((tmp_path / "none.parquet", "data file not found"), (f"file://{tmp_path}/none.parquet", "data file not found"),
                         (data, "no 'body' column"), (tmp_path / "squad.json", r"unsupported file type '.json'; use one of .csv, .jsonl")):
        with pytest.raises(DataError, match=message):
            TextSource(bad, text_column="body" if bad == data else "text")
    (tmp_path / "blank.jsonl").write_text('{"text": "fine"}\n{"text": " "}\n', encoding="utf-8")
    with pytest.raises(DataError, match="text column 'text' is empty in row 1"):
        list(TextSource(tmp_path / "blank.jsonl").chunks(5))
