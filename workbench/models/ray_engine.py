"""The same batched inference on Ray Data: an actor pool of ``map_batches`` workers, each loading the model once.

Checked: Ray Data's ``map_batches`` with a callable class and ``concurrency`` runs a pool of
actors, each built once (so each loads the model once) and each asking for ``num_cpus`` /
``num_gpus``; ``DataContext.execution_options.preserve_order`` keeps rows in input order; its
readers (``read_json``, ``read_csv``) open any path pyarrow can; its ``read_parquet`` holds
more memory the longer the file, so Parquet is read a row group at a time (``read_table``).
What it lacks is the model: a worker here calls the model's own batched method (``predict_proba``,
``generate``, ``answer``) on each batch, so the token-budget batching, precision and device
handling are the local engine's and the results are the same numbers.

* :class:`RayOptions`  where Ray runs (``address``) and the pool: workers, CPUs and GPUs each, rows per batch
* :func:`ray_connect`  connect to a cluster by address, or start a local Ray; rows kept in order
* :func:`map_model`    ``fn(model, batch)`` over a Ray Dataset on the pool (the Python API's building block)
* :class:`RayModel`    a loaded model whose batched calls run on the pool, so the studies run unchanged

A cluster's workers load the model by the same reference: a demo (built on each node) or a
folder at the same path on every node (a shared file system).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError
from .options import LoadOptions

ENGINES = ("local", "ray")
POOLED = ("predict_proba", "generate", "answer")  # the batched calls a RayModel runs on the pool


@dataclass(frozen=True)
class RayOptions:
    """How the Ray engine runs.

    address : a running cluster (``ray start --head`` prints it, e.g. ``10.0.0.1:6379``), or None to start Ray on this machine.
    workers : actors in the pool (each loads the model once).
    cpus_per_worker : CPUs each actor asks for; its torch threads.
    gpus_per_worker : GPUs each actor asks for (0 on CPU; 1 puts one model on each GPU).
    batch_rows : rows handed to an actor at a time (the actor batches them by token budget inside).
    """

    address: str | None = None
    workers: int = 1
    cpus_per_worker: float = 1.0
    gpus_per_worker: float = 0.0
    batch_rows: int = 512

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ParameterError(f"Ray workers must be at least 1, got {self.workers}")
        if self.cpus_per_worker <= 0 or self.gpus_per_worker < 0:
            raise ParameterError(f"each Ray worker needs some CPU and no negative GPU (got {self.cpus_per_worker} CPUs, {self.gpus_per_worker} GPUs)")
        if self.batch_rows < 1:
            raise ParameterError(f"Ray batch_rows must be at least 1, got {self.batch_rows}")


def as_ray_options(engine: str | RayOptions | None) -> RayOptions | None:
    """``engine`` as RayOptions (``"ray"``: the defaults), or None for the local engine; anything else is one line."""
    if engine is None or engine == "local":
        return None
    if engine == "ray":
        return RayOptions()
    if isinstance(engine, RayOptions):
        return engine
    raise ParameterError(f"engine must be 'local', 'ray' or a RayOptions, got {engine!r}")


def split_pool(model: Any, engine: str | RayOptions | None) -> tuple[Any, RayOptions | None]:
    """The local model and the Ray pool's options: a RayModel brings its own, else ``engine`` decides (None: the local engine)."""
    if isinstance(model, RayModel):
        return model.local, model.ray_options
    return model, as_ray_options(engine)


def _ray():  # -> the ray module, or a one-line error naming the install
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise ParameterError("the Ray engine needs Ray Data: pip install 'workbench[ray]' (ray[data])") from None
    return ray


def ray_connect(options: RayOptions) -> Any:
    """Ray connected to ``options.address``, or a local Ray started here; rows kept in order. Returns the ray module.

    A Ray already initialised in this process (a notebook's ``ray.init``, an earlier call) is
    used as it is; Ray shuts itself down when the process exits.
    """
    ray = _ray()
    if not ray.is_initialized():
        _check_reachable(options.address)
        # A local Ray gets one logical CPU more than the machine has: Ray Data hangs when actors hold every CPU slot and
        # none is left for its read tasks (ray-project/ray#44687), and reading takes little of a core.
        local = {} if options.address else {"num_cpus": (os.cpu_count() or 1) + 1}
        logging.getLogger("ray").setLevel(logging.ERROR)  # Ray's start-up notes and each run's plan are Ray's business, not the user's
        try:
            ray.init(address=options.address or "local", include_dashboard=False, log_to_driver=False, configure_logging=False, **local)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            where = f"the Ray cluster at {options.address}" if options.address else "a local Ray"
            raise ParameterError(f"cannot start or reach {where}: {str(exc).strip().splitlines()[0]}; check --ray-address "
                                 "(`ray start --head` prints it) or leave it out to start Ray here") from None
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # Ray Data configures its own loggers on import; each run's plan is not news
    return ray


def _check_reachable(address: str | None) -> None:
    """A ``host:port`` address that refuses connections is one line at once (Ray itself retries for minutes)."""
    import socket

    host, _, port = (address or "").rpartition(":")
    if not host or not port.isdigit() or "://" in address:
        return
    try:
        socket.create_connection((host, int(port)), timeout=10).close()
    except OSError as exc:
        raise ParameterError(f"cannot start or reach the Ray cluster at {address}: {exc.strerror or exc}; check --ray-address "
                             "(`ray start --head` prints it) or leave it out to start Ray here") from None


class _Worker:
    """One actor of the pool: loads the model once, then applies ``fn(model, batch)`` to each batch it is handed."""

    def __init__(self, ref: str, options: LoadOptions | None, task: str,
                 fn: Callable[[Any, dict[str, np.ndarray]], dict[str, np.ndarray]], threads: int) -> None:
        import torch

        from .loader import load_model

        torch.set_num_threads(threads)
        self.model = load_model(ref, options, task=task)
        self.fn = fn

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return self.fn(self.model, batch)


def map_model(model: Any, dataset: Any, fn: Callable[[Any, dict[str, np.ndarray]], dict[str, np.ndarray]], options: RayOptions) -> Any:
    """``dataset.map_batches`` with a pool of ``options.workers`` actors, each loading ``model`` by its reference and options.

    ``fn(model, batch)`` takes a batch of columns (numpy arrays) and returns the output columns;
    it must be picklable (a module-level function or a ``functools.partial`` of one). Lazy, like
    every Ray Dataset: nothing runs until the result is read or written.
    """
    import ray

    free = ray.cluster_resources().get("CPU", 0) - options.workers * options.cpus_per_worker
    if free < 1:
        raise ParameterError(f"{options.workers} Ray workers of {options.cpus_per_worker:g} CPUs leave {max(free, 0):g} of the cluster's "
                             f"{ray.cluster_resources().get('CPU', 0):g} CPUs for reading, and Ray Data hangs without one (ray-project/ray#44687); "
                             "use fewer --ray-workers or --ray-cpus")
    # A file can be one block to Ray's reader, which one actor would take whole: cut the stream into blocks of exactly a batch
    # each (strict: the blocks, hence each actor call's rows and padding, depend on row positions only, not on the input's blocks)
    return dataset.repartition(target_num_rows_per_block=options.batch_rows, strict=True).map_batches(
        _Worker,
        fn_constructor_args=(model.ref, getattr(model, "load_options", None), model.task, fn,
                             max(1, int(options.cpus_per_worker))),
        batch_size=options.batch_rows,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=options.workers),
        num_cpus=options.cpus_per_worker,
        num_gpus=options.gpus_per_worker,
    )


def read_table(path: str, fmt: str, columns: Sequence[str], *, rows: int = 512) -> Any:
    """``columns`` of a Parquet, CSV or JSON-lines file (any path pyarrow opens) as a Ray Dataset.

    CSV and JSON lines go through Ray's own readers, CSV cells as strings, as ``load_dataset``
    reads them (so ids such as ``007`` stay as written). Parquet is read by Ray tasks a row group
    at a time, ``rows`` rows per block, each with a fresh pyarrow reader: Ray's ``read_parquet``
    holds more memory the longer the file (measured here, 2 actors: the run's processes peaked
    at 2,377 MB for 200,000 rows and 2,855 MB for 2,000,000; ray-project/ray#65544, and
    apache/arrow#39808 behind it), and this way memory stays that of the blocks in flight.
    """
    ray = _ray()
    if fmt == "parquet":
        from ..datasets.streaming import open_parquet

        groups = open_parquet(path).metadata.num_row_groups
        return ray.data.from_items([{"group": g} for g in range(groups)], override_num_blocks=max(groups, 1)).map_batches(
            functools.partial(_row_group_blocks, path, list(columns), rows), batch_size=1, batch_format="pyarrow")
    if fmt == "csv":
        import pyarrow as pa
        from pyarrow import csv

        options = csv.ConvertOptions(include_columns=list(columns), column_types={c: pa.string() for c in columns}, strings_can_be_null=False)
        return ray.data.read_csv(path, convert_options=options, parse_options=csv.ParseOptions(newlines_in_values=True))
    return ray.data.read_json(path, lines=True).select_columns(list(columns))


def _row_group_blocks(path: str, columns: list[str], rows: int, batch: Any) -> Iterator[Any]:
    """The rows of ``batch``'s row groups (a pyarrow table of group numbers), ``rows`` at a time, as pyarrow tables."""
    import pyarrow as pa

    from ..datasets.streaming import row_group_batches

    for block in row_group_batches(path, columns, rows, batch["group"].to_pylist()):
        yield pa.Table.from_batches([block])


def probability_columns(model: Any, batch: dict[str, np.ndarray], *, text_column: str = "text", keep: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """``keep`` columns of ``batch`` with the class probabilities of its texts: ``p_<label>`` per label (float64)."""
    proba = model.predict_proba([str(t) for t in batch[text_column]], progress=False)
    return {**{c: batch[c] for c in keep}, **{f"p_{name}": proba[:, j] for j, name in enumerate(model.label_names)}}


def labelled_columns(model: Any, batch: dict[str, np.ndarray], *, text_column: str = "text") -> dict[str, np.ndarray]:
    """Every column of ``batch`` with the predicted label (``prediction``) and ``p_<label>`` per label: what a Ray Dataset gets back."""
    out = probability_columns(model, batch, text_column=text_column, keep=tuple(batch))
    proba = np.column_stack([out[f"p_{name}"] for name in model.label_names])
    return {**out, "prediction": np.asarray(model.label_names, dtype=object)[proba.argmax(axis=1)]}


def _outputs(call: str | Callable[..., Sequence[Any]], kwargs: dict[str, Any], model: Any, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One output object per row: the model's method ``call`` (or ``call(model, ...)``) on the columns ``a0, a1, ...`` with ``kwargs``."""
    arguments = [[x.item() if isinstance(x, np.generic) else x for x in batch[f"a{i}"]] for i in range(len(batch) - 1)]
    results = getattr(model, call)(*arguments, **kwargs) if isinstance(call, str) else call(model, *arguments, **kwargs)
    column = np.empty(len(results), dtype=object)
    column[:] = list(results)
    return {"row": batch["row"], "out": column}


class RayModel:
    """A loaded model whose batched calls (``predict_proba``, ``generate``, ``answer``) run on a Ray actor pool.

    Everything else (``ref``, ``label_names``, ``fingerprint``, ``reading``, ...) is the local
    model's, so the studies (predict, evaluate, generate, answer) run on it unchanged and write
    the same files. Each call is one Ray Data run over the rows, in input order.
    """

    def __init__(self, model: Any, options: RayOptions) -> None:
        self.local = model
        self.ray_options = options
        ray_connect(options)

    def __getattr__(self, name: str) -> Any:
        if name == "local" or name.startswith("__"):  # not set yet (copying, unpickling): no delegation loop
            raise AttributeError(name)
        attribute = getattr(self.local, name)  # what the local model lacks, this lacks too
        return getattr(self, f"_pooled_{name}") if name in POOLED else attribute

    def map_rows(self, call: str | Callable[..., Sequence[Any]], columns: Sequence[Sequence[Any]], **kwargs: Any) -> list[Any]:
        """The model's method ``call`` (or a picklable ``call(model, *columns, **kwargs)``) over the rows of ``columns`` on the pool;
        one result per row, in order."""
        ray = ray_connect(self.ray_options)
        rows = [{"row": i, **{f"a{j}": c[i] for j, c in enumerate(columns)}} for i in range(len(columns[0]))]
        if not rows:
            return []
        out = map_model(self.local, ray.data.from_items(rows), functools.partial(_outputs, call, kwargs), self.ray_options)
        return [r["out"] for r in out.iter_rows()]

    def _pooled_predict_proba(self, texts: Sequence[str], *, progress: bool | None = None) -> np.ndarray:
        """Class probabilities ``(n, k)``, computed by the pool."""
        ray = ray_connect(self.ray_options)
        if not len(texts):
            return self.local.predict_proba(texts)
        dataset = ray.data.from_items([{"text": t} for t in texts])
        out = map_model(self.local, dataset, probability_columns, self.ray_options)
        columns = [f"p_{name}" for name in self.local.label_names]
        return np.concatenate([np.column_stack([b[c] for c in columns]) for b in out.iter_batches(batch_format="numpy", batch_size=None)])

    def _pooled_generate(self, texts: Sequence[str], **kwargs: Any) -> list[str]:
        """The generator's outputs, computed by the pool (sampling stays per text and seed, so outputs are the local ones)."""
        kwargs.pop("progress", None)
        return self.map_rows("generate", [texts], progress=False, **kwargs)

    def _pooled_answer(self, questions: Sequence[str], contexts: Sequence[str], **kwargs: Any) -> list[Any]:
        """The question-answering model's answers, computed by the pool."""
        kwargs.pop("progress", None)
        return self.map_rows("answer", [questions, contexts], progress=False, **kwargs)

    def __repr__(self) -> str:
        return f"RayModel({self.local!r}, {self.ray_options})"
