"""The Ray engine on a real local Ray (and one cluster started with `ray start --head`): the local engine's numbers, files and records.

Ray starts once for this module (``ray.init(num_cpus=2)``); the CLI tests run in subprocesses,
each starting or joining its own Ray.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.models import load_model
from workbench.models.ray_engine import RayModel, RayOptions
from workbench.records.generation import GenerationSettings

from .conftest import TINY_ROWS
from .regression import METRIC
from .test_shards import kill_mid_run

ray = pytest.importorskip("ray")
POOL = RayOptions(workers=2, batch_rows=7)  # several batches per actor, odd sizes


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(address="local", num_cpus=3, include_dashboard=False, log_to_driver=False)  # a slot beside the pool of 2 for reading (ray-project/ray#44687)
    yield
    ray.shutdown()


def big_table(n: int, *, ids: bool = True) -> pd.DataFrame:
    rows = [{"text": f"{TINY_ROWS[i % len(TINY_ROWS)][0]} {i}", "label": TINY_ROWS[i % len(TINY_ROWS)][1]} for i in range(n)]
    return pd.DataFrame([{"id": f"r{i}", **row} if ids else row for i, row in enumerate(rows)])


def test_ray_predictions_and_metrics_equal_the_local_engines(tiny_model_dir):
    from workbench.datasets import load_dataset
    from workbench.statistics.metrics import compute_metrics
    from workbench.studies.prediction import predict

    dataset = load_dataset(str(write_rows(tiny_model_dir.parent / "eval.csv", big_table(60))))
    local, pooled = predict(str(tiny_model_dir), dataset), predict(str(tiny_model_dir), dataset, engine=POOL)
    assert pooled.ids == local.ids and pooled.labels == local.labels
    np.testing.assert_allclose(pooled.proba, local.proba, rtol=0, atol=1e-6)
    assert compute_metrics(pooled, seed=3).to_dict()["accuracy"] == compute_metrics(local, seed=3).to_dict()["accuracy"]


def write_rows(path: Path, frame: pd.DataFrame) -> Path:
    if path.suffix == ".parquet":
        frame.to_parquet(path, row_group_size=37)  # several row groups, none a multiple of a shard or a batch
    elif path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)
    return path


@pytest.mark.parametrize("name, ids, shard_rows, out_suffix", [("d.parquet", True, 40, ".csv"), ("d.csv", False, 64, ".parquet"),
                                                              ("d.jsonl", True, 1000, ".parquet"), ("d.parquet", False, 1000, ".parquet")])
def test_streamed_predictions_are_the_same_on_either_engine(tmp_path, tiny_model_dir, name, ids, shard_rows, out_suffix):
    """Ray's readers and pool, and the local streaming reader, write the same rows and probabilities; labels matched by name, row numbers as ids."""
    from workbench.studies.prediction import stream_predictions
    from workbench.datasets.streaming import TextSource

    data = write_rows(tmp_path / name, big_table(230, ids=ids))
    model = load_model(str(tiny_model_dir))
    source = TextSource(data, label_column="label")
    local, pooled = tmp_path / f"local{out_suffix}", tmp_path / f"ray{out_suffix}"
    assert stream_predictions(model, source, local, shard_rows=shard_rows) == 230
    assert stream_predictions(model, source, pooled, shard_rows=shard_rows, engine=POOL) == 230
    read = (lambda p: pd.read_parquet(p)) if out_suffix == ".parquet" else (lambda p: pd.read_csv(p, dtype={"id": str}))
    frame, ray_frame = read(local), read(pooled)
    columns = [f"p_{n}" for n in model.label_names]
    assert list(frame["id"][:2]) == (["r0", "r1"] if ids else ["0", "1"]) and len(frame) == 230 and list(frame["label"][:2]) == ["business", "sports"]
    pd.testing.assert_frame_equal(ray_frame.drop(columns=columns), frame.drop(columns=columns))
    whole = model.predict_proba([f"{TINY_ROWS[i % len(TINY_ROWS)][0]} {i}" for i in range(230)])
    for result in (frame, ray_frame):  # batches of 7 rows on the pool: other padding widths, the same numbers to rounding
        np.testing.assert_allclose(result[columns].to_numpy(), whole, rtol=0, atol=1e-6)


def test_a_blank_text_is_refused_on_ray_as_locally(tmp_path, tiny_model_dir):
    from workbench.errors import DataError
    from workbench.studies.prediction import stream_predictions
    from workbench.datasets.streaming import TextSource

    frame = big_table(20)
    frame.loc[13, "text"] = "  "
    data = write_rows(tmp_path / "blank.parquet", frame)
    model = load_model(str(tiny_model_dir))
    for engine in (None, POOL):
        with pytest.raises(DataError, match="text column 'text' is empty in row 13; fill or drop such rows"):
            stream_predictions(model, TextSource(data), tmp_path / f"{engine is None}.csv", engine=engine, shard_rows=5)


def test_a_ray_dataset_goes_in_and_one_comes_back(tiny_model_dir):
    from workbench.studies.prediction import predict

    model = load_model(str(tiny_model_dir))
    table = big_table(50)
    out = predict(model, ray.data.from_pandas(table), engine=POOL).to_pandas()
    assert list(out["id"]) == list(table["id"]) and set(table.columns) <= set(out.columns)
    proba = model.predict_proba(list(table["text"]))
    np.testing.assert_allclose(out[[f"p_{n}" for n in model.label_names]].to_numpy(dtype=float), proba, atol=1e-6)
    assert list(out["prediction"]) == [model.label_names[j] for j in proba.argmax(axis=1)]


def test_ray_explanations_equal_the_local_engines(tiny_model_dir):
    """Each document's explanation is seeded by its text, so spreading documents over actors changes no score."""
    from workbench.datasets import load_dataset
    from workbench.studies.explanation import explain_dataset

    dataset = load_dataset(str(write_rows(tiny_model_dir.parent / "explain.csv", big_table(12))))
    common = {"methods": ["lime", "occlusion"], "n": 5, "seed": 4, "num_samples": 60, "stability_seeds": 1, "cache": False}
    local = explain_dataset(str(tiny_model_dir), dataset, **common)
    pooled = explain_dataset(str(tiny_model_dir), dataset, engine=POOL, **common)
    numbers = ("scores", "output", "base")
    for method in common["methods"]:
        for ours, theirs in zip(pooled.attributions[method], local.attributions[method], strict=True):
            ours, theirs = ours.to_dict(), theirs.to_dict()
            assert {k: v for k, v in ours.items() if k not in numbers} == {k: v for k, v in theirs.items() if k not in numbers}
            # occlusion predicts each document's deletions in the pool's batches, other padding widths than here: equal to rounding
            np.testing.assert_allclose([ours["output"], ours["base"], *ours["scores"]], [theirs["output"], theirs["base"], *theirs["scores"]],
                                       rtol=0, atol=1e-9)
    assert pooled.attributions["lime"] == local.attributions["lime"]  # LIME's samples are seeded by the text: the very same scores
    assert pooled.stability == local.stability


def test_generators_and_question_answering_models_give_their_local_outputs_on_the_pool(tiny_generators, tiny_qa_dir):  # noqa: F811
    sources = [" ".join(row[0].split()[: 3 + i % 5]) for i, row in enumerate(TINY_ROWS * 3)]
    # each call starts its own actor pool (tens of seconds), so each decoding runs on one of the two architectures
    for name, settings in (("t5", {"num_beams": 1}), ("gpt2", {"num_beams": 3}), ("t5", {"do_sample": True, "seed": 5})):
        generator = load_model(str(tiny_generators[name]))
        assert RayModel(generator, POOL).generate(sources, max_new_tokens=6, **settings) == generator.generate(sources, max_new_tokens=6, **settings)
    answerer = load_model(str(tiny_qa_dir))
    questions = [f"who said {row[0].split()[-1]}?" for row in TINY_ROWS * 2]
    contexts = [" ".join(row[0] for row in TINY_ROWS[i:] + TINY_ROWS[:i]) for i in range(len(questions))]
    assert RayModel(answerer, POOL).answer(questions, contexts, max_answer_len=5) == answerer.answer(questions, contexts, max_answer_len=5)


def test_question_answering_and_generation_explanations_equal_the_local_engines(tmp_path, tiny_generators, tiny_qa_dir):  # noqa: F811
    """`explain --engine ray` on the other tasks: the answers' and the generated tokens' records are the local engine's."""
    from workbench.studies.qa_explanation import explain_qa_dataset
    from workbench.studies.generation_explanation import explain_generations

    from .test_generation import generation_file
    from .test_question_answering import qa_rows, squad_file

    questions = squad_file(tmp_path / "qa.json", qa_rows())
    common = {"methods": ["occlusion", "lime"], "n": 4, "seed": 2, "num_samples": 40, "stability_seeds": 0, "cache": False,
              "max_seq_len": 32, "doc_stride": 8}
    local, pooled = (explain_qa_dataset(str(tiny_qa_dir), questions, engine=engine, **common) for engine in ("local", POOL))
    assert pooled.ids == local.ids and len(local.ids) == 4
    for method in common["methods"]:
        for ours, theirs in zip(pooled.attributions[method], local.attributions[method], strict=True):
            ours, theirs = ours.to_dict(), theirs.to_dict()
            assert ours.pop("target") == theirs.pop("target") and ours.pop("words") == theirs.pop("words")
            np.testing.assert_allclose(ours.pop("scores"), theirs.pop("scores"), rtol=0, atol=1e-6)
            assert ours.pop("output") == pytest.approx(theirs.pop("output"), abs=1e-6) and ours == theirs
    sources = generation_file(tmp_path / "gen.jsonl")
    # the decoder-only generator (its prompt positions); the encoder-decoder pools alike, and each pool takes tens of seconds
    local, pooled = (explain_generations(str(tiny_generators["gpt2"]), sources, methods=["occlusion"], n=3, seed=1, engine=engine,
                                         settings=GenerationSettings(max_new_tokens=4)) for engine in ("local", POOL))
    for ours, theirs in zip(pooled.records["occlusion"], local.records["occlusion"], strict=True):
        ours, theirs = ours.to_dict(), theirs.to_dict()
        assert ours.pop("generated_ids") == theirs.pop("generated_ids") and ours.pop("prediction") == theirs.pop("prediction")
        np.testing.assert_allclose(np.asarray(ours.pop("scores"), dtype=float), np.asarray(theirs.pop("scores"), dtype=float), rtol=0, atol=1e-6)
        np.testing.assert_allclose(ours.pop("probabilities"), theirs.pop("probabilities"), rtol=0, atol=1e-6)
        assert ours == theirs
    assert pooled.faithfulness["occlusion"].comprehensiveness == pytest.approx(local.faithfulness["occlusion"].comprehensiveness, abs=1e-6)


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "workbench.cli", *args]


def test_a_cluster_started_with_ray_start_is_joined_by_address_and_a_killed_run_resumes_on_it(tmp_path, tiny_model_dir):
    """`ray start --head` in a subprocess; `workbench predict --engine ray --ray-address` killed with SIGKILL mid-run, then --resume."""
    import socket

    port = 6300 + os.getpid() % 500
    env = {**os.environ, "RAY_ADDRESS": ""}
    # --block keeps `ray start` in the foreground: its process group is the cluster, stopped at the end without `ray stop`,
    # which would stop every Ray on the machine (this module's too)
    head = subprocess.Popen([str(Path(sys.executable).with_name("ray")), "start", "--head", "--block", f"--port={port}", "--num-cpus=3",
                             "--include-dashboard=false", "--disable-usage-stats"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert time.monotonic() < deadline and head.poll() is None, "ray start --head did not come up"
            time.sleep(0.2)
        data = write_rows(tmp_path / "big.parquet", big_table(3000))
        command = cli_command("predict", "--model", str(tiny_model_dir), "--data", str(data), "--shard-rows", "150", "--no-progress", "--engine", "ray",
                              "--ray-address", f"127.0.0.1:{port}", "--ray-workers", "2", "--out")
        whole = subprocess.run([*command, str(tmp_path / "whole.csv")], capture_output=True, text=True, env=env)  # uninterrupted, on the cluster
        local = subprocess.run(cli_command("predict", "--model", str(tiny_model_dir), "--data", str(data), "--no-progress", "--out",
                                           str(tmp_path / "local.csv")), capture_output=True, text=True, env=env)
        assert whole.returncode == 0 and local.returncode == 0, whole.stderr + local.stderr
        out = tmp_path / "killed.csv"
        done = kill_mid_run([*command, str(out)], out, env=env, timeout=240)
        resumed = subprocess.run([*command, str(out), "--resume"], capture_output=True, text=True, env=env)
        assert resumed.returncode == 0, resumed.stderr
        assert out.read_bytes() == (tmp_path / "whole.csv").read_bytes()
        # the local engine batches a whole shard by token budget, the pool a shard's divisor at a time: other padding, equal to rounding
        ours, theirs = pd.read_csv(out, dtype={"id": str}), pd.read_csv(tmp_path / "local.csv", dtype={"id": str})
        columns = [c for c in theirs.columns if c.startswith("p_")]
        pd.testing.assert_frame_equal(ours.drop(columns=columns), theirs.drop(columns=columns))
        np.testing.assert_allclose(ours[columns].to_numpy(), theirs[columns].to_numpy(), rtol=0, atol=1e-6)
        lines = resumed.stderr.splitlines()
        assert [int(line.split()[2]) for line in lines if "was done earlier; skipped" in line] == done
        assert sorted(int(line.split()[2]) for line in lines if line.endswith("written")) == [i for i in range(20) if i not in done]
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        head.wait(timeout=60)


def test_a_cluster_that_is_not_there_is_one_line(tmp_path, tiny_model_dir, cli):
    data = write_rows(tmp_path / "d.parquet", big_table(10))
    done = subprocess.run(cli_command("predict", "--model", str(tiny_model_dir), "--data", str(data), "--engine", "ray", "--ray-address", "127.0.0.1:1",
                                      "--out", str(tmp_path / "p.csv")), capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stderr.startswith("error: cannot start or reach the Ray cluster at 127.0.0.1:1") and not (tmp_path / "p.csv").exists()
    refused = cli("predict", "--model", tiny_model_dir, "--data", data, "--ray-address", "x:1", "--out", tmp_path / "p.csv")
    assert refused.exit_code == 2 and "--ray-address applies to --engine ray" in refused.stderr


def flat(value, prefix: str = "") -> dict:
    """A nested metrics.json as one dict of leaves (strings kept as they are), for pytest.approx."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in flat(item, f"{prefix}{key}.").items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in flat(item, f"{prefix}{i}.").items()}
    return {prefix: value}


@pytest.mark.integration
def test_evaluate_on_ray_writes_the_local_engines_files_on_the_demo(tmp_path, demo_run):
    """`workbench evaluate --engine ray` on bbc-news:test: the same metrics.json numbers, the same predictions.csv (to 1e-6)
    as the same command on the local engine (the session's run of it, ``demo_run``)."""
    done = subprocess.run(cli_command("evaluate", "--model", "demo:minilm-bbc", "--data", "bbc-news:test", "--no-progress", "--engine", "ray",
                                      "--ray-workers", "2", "--out", str(tmp_path / "ray")), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    runs = {}
    for engine, out in (("local", demo_run("evaluate-minilm-bbc")), ("ray", tmp_path / "ray")):
        metrics = json.loads((out / "metrics.json").read_text())
        metrics.pop("provenance")
        runs[engine] = metrics, pd.read_csv(out / "predictions.csv")
    # the actors run one torch thread, this machine's local engine two: float sums in another order. The last layer at
    # [CLS] only (models.first_token) multiplies a few rows at a time, which the kernels split over the threads in
    # another order, so figures over the split agree within fp32 rounding (2e-7 relative measured), held to METRIC
    ours, theirs = flat(runs["ray"][0]), flat(runs["local"][0])
    number = lambda v: isinstance(v, float)  # noqa: E731
    assert {k for k in ours} == {k for k in theirs} and runs["local"][0]["n"] == 445
    assert {k: v for k, v in ours.items() if not number(v)} == {k: v for k, v in theirs.items() if not number(v)}
    assert {k: v for k, v in ours.items() if number(v)} == pytest.approx({k: v for k, v in theirs.items() if number(v)},
                                                                         rel=METRIC.rel, abs=METRIC.abs)
    local, pooled = runs["local"][1], runs["ray"][1]
    columns = [c for c in local.columns if c.startswith("p_")]
    pd.testing.assert_frame_equal(pooled.drop(columns=columns), local.drop(columns=columns))
    np.testing.assert_allclose(pooled[columns].to_numpy(), local[columns].to_numpy(), rtol=0, atol=1e-6)
