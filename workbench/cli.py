"""The ``workbench`` command line (Typer).

User mistakes raise WorkbenchError; :class:`_Group` catches it once, prints one line to
stderr and exits 2. Anything else is a bug and exits 1 with its traceback. Heavy libraries are
imported inside the commands, so ``workbench --help`` is fast. The options that load a model
and read a dataset are defined once (:func:`loading_options`, from the fields of
``LoadOptions``), and every choice comes from its registry, so ``--help`` lists the choices and
a misspelt one is refused before any work starts. Checked: Typer 0.29 has no shared option
groups (it vendors click and builds each command's options from the function's signature), so
:func:`loading_options` adds the shared parameters to the signature it reads.
"""

from __future__ import annotations

import enum
import functools
import inspect
import logging
import os
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any, Optional, get_type_hints

import typer
from typer.core import TyperGroup

from .errors import ParameterError, WorkbenchError
from .explainers import METHODS
from .models import LoadOptions
from .models.options import check_device_name
from .personal_data import redacting
from .records.generation import GenerationSettings
from .records.language_modeling import Window


class _Group(TyperGroup):
    """A command group that turns a WorkbenchError or a command's usage error into one stderr line and exit code.

    Exit 2 for bad input (1 for a failed notebook). A usage error is an option value click
    refused (a choice not in its registry, a number that is not one); the line names the
    option and the command's ``--help``.
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except WorkbenchError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except typer.BadParameter as exc:  # a value typer refused, or a missing required option
            command = exc.ctx.command_path if exc.ctx else ctx.command_path
            message = " ".join(exc.format_message().split()).rstrip(".").replace("Value error, ", "")
            typer.echo(f"error: {message}; see `{command} --help`", err=True)
            raise typer.Exit(2) from None


def _app(help: str) -> typer.Typer:
    return typer.Typer(cls=_Group, help=help, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


app = _app("Evaluate, explain and compare transformer text models: classifiers and extractive question answering.")
data_app = _app("Built-in datasets.")
models_app = _app("Demo models and model folders.")
cache_app = _app("The explanation cache under $WORKBENCH_HOME/explanations.")
app.add_typer(data_app, name="data")
app.add_typer(models_app, name="models")
app.add_typer(cache_app, name="cache")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"workbench {version('workbench')}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """Evaluate, explain and compare transformer text classifiers."""


def choice(name: str, values: tuple[str, ...]) -> type[enum.Enum]:
    """An Enum of ``values`` for a Typer option: click lists them in --help and refuses anything else."""
    return enum.Enum(name, [(v, v) for v in values], type=str)


def _device(value: str) -> str:
    """``--device`` checked while the options are parsed, before any work starts (a one-line error)."""
    check_device_name(value)
    return value


Method = choice("Method", tuple(METHODS))
ModelRef = Annotated[str, typer.Option("--model", help="Model folder or demo name (demo:minilm-bbc).")]
DataRef = Annotated[str, typer.Option("--data", help="bbc-news:SPLIT or a .csv/.jsonl/.parquet file.")]
Progress = Annotated[bool, typer.Option(help="Show a progress bar on long inputs.")]
Resume = Annotated[bool, typer.Option(help="Finish a killed run into the same --out: shards already written are kept.")]
ShardRows = Annotated[int, typer.Option(min=1, help="Rows per shard of predictions (a killed run loses at most one shard of work).")]
Redact = Annotated[bool, typer.Option(help="Replace e-mail addresses, phone numbers, card numbers, IBANs and IP "
                                           "addresses in what the pages and figures display with a placeholder "
                                           "(⟨EMAIL⟩); the data files and what the model reads are unchanged.")]
#: The options of one task, on every command that runs a model (evaluate, explain, compare). None: not given, so the
#: task's own default holds and another task's model refuses a given one in one line (``tasks.check_options``).
TASK_OPTIONS = {
    "max_answer_len": (Optional[int], {"min": 1}, "Question answering: most tokens in an answer (default: 30)."),
    "doc_stride": (Optional[int], {}, "Question answering: tokens of overlap between context windows (default: 128, or half a window)."),
    "max_seq_len": (Optional[int], {}, "Question answering: tokens per window (default: the model's limit, at most 384)."),
    "max_new_tokens": (Optional[int], {"min": 1}, f"Generation: most new tokens per output (default: {GenerationSettings.max_new_tokens})."),
    "num_beams": (Optional[int], {"min": 1}, "Generation: beams (1: greedy) (default: 1)."),
    "do_sample": (Optional[bool], {}, "Generation: sample (seeded by --seed) instead of greedy or beam search (default: no)."),
    "window_tokens": (Optional[int], {"min": 2}, f"Perplexity: tokens a window reads (default: {Window.max_tokens})."),
    "window_stride": (Optional[int], {"min": 1}, f"Perplexity: tokens between windows (default: {Window.stride})."),
}
GENERATION_OPTIONS = ("max_new_tokens", "num_beams", "do_sample")
WINDOW_OPTIONS = {"window_tokens": "max_tokens", "window_stride": "stride"}
DATA_OPTIONS = {"text_column": "Text column of a data file.", "label_column": "Label column of a data file.", "id_column": "Optional id column of a data file.",
                "source_column": "Generation data: the source column (its presence makes a file generation data).",
                "reference_column": "Generation data: the reference column, one text or a list [default: reference or references]."}


def _load_parameters() -> list[inspect.Parameter]:
    """One keyword parameter per LoadOptions field, typed and helped from the field (choices as an Enum)."""
    hints = get_type_hints(LoadOptions)
    parameters = []
    for f in fields(LoadOptions):
        choices = f.metadata.get("choices")
        kind = choice(f.name.title().replace("_", ""), choices) if choices else hints[f.name]
        option = typer.Option(help=f.metadata["help"], callback=_device if f.name == "device" else None)
        default = kind(f.default) if choices else f.default
        parameters.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[kind, option]))
    return parameters


@dataclass(frozen=True)
class Inputs:
    """What a command loads: the model and data references, the LoadOptions and the data-file columns."""

    model: str | None
    data: str | None
    options: LoadOptions
    columns: dict[str, Any]
    show_progress: bool = True
    engine: Any = None  # RayOptions for --engine ray, None for the local engine
    task_options: dict[str, Any] = field(default_factory=dict)  # the task options given: max_answer_len, ..., settings

    @property
    def progress(self) -> bool | None:
        """The ``progress`` argument of the verbs: None (a bar on long inputs on a terminal) or False."""
        return None if self.show_progress else False

    def dataset(self):  # -> Dataset
        """The dataset (its errors surface before any model loads)."""
        from .datasets.loading import load_dataset

        return load_dataset(self.data, **self.columns)

    def load(self):  # -> tuple[Dataset, Classifier]
        """The dataset, then the model (with ``--engine ray``, a RayModel whose batched calls run on the Ray pool)."""
        from .models import load_model

        dataset = self.dataset()
        model = load_model(self.model, self.options, task=dataset.task)
        if self.engine is None:
            return dataset, model
        from .models.ray_engine import RayModel

        return dataset, RayModel(model, self.engine)


def _engine_parameters() -> list[inspect.Parameter]:
    """``--engine`` and the Ray pool's options (``RayOptions``)."""
    from .models.ray_engine import ENGINES, RayOptions

    keyword = inspect.Parameter.KEYWORD_ONLY
    Engine = choice("Engine", ENGINES)
    return [
        inspect.Parameter("engine", keyword, default=Engine("local"), annotation=Annotated[Engine, typer.Option(
            help="Where the model runs: this process (local), or a Ray Data actor pool "
                 "(ray; see docs/command-line.md, 'Scaling out').")]),
        inspect.Parameter("ray_address", keyword, default=None, annotation=Annotated[Optional[str], typer.Option(
            help="--engine ray: a running cluster's address (`ray start --head` prints it) [default: start Ray on this machine].")]),
        inspect.Parameter("ray_workers", keyword, default=RayOptions.workers, annotation=Annotated[int, typer.Option(
            min=1, help="--engine ray: actors in the pool, each loading the model once.")]),
        inspect.Parameter("ray_cpus", keyword, default=RayOptions.cpus_per_worker, annotation=Annotated[float, typer.Option(
            min=0.01, help="--engine ray: CPUs per actor (its torch threads).")]),
        inspect.Parameter("ray_gpus", keyword, default=RayOptions.gpus_per_worker, annotation=Annotated[float, typer.Option(
            min=0, help="--engine ray: GPUs per actor (1: one model per GPU).")]),
    ]


def _ray_options(values: dict[str, Any]) -> Any:
    """The RayOptions of ``--engine ray`` (None for local), taking the engine options out of ``values``."""
    from .models.ray_engine import RayOptions

    engine = values.pop("engine")
    ray = {k: values.pop(f"ray_{k}") for k in ("address", "workers", "cpus", "gpus")}
    if engine == "local":
        if ray["address"] is not None:
            raise ParameterError("--ray-address applies to --engine ray; add --engine ray or leave the address out")
        return None
    return RayOptions(address=ray["address"], workers=ray["workers"], cpus_per_worker=ray["cpus"], gpus_per_worker=ray["gpus"])


def _task_parameters() -> list[inspect.Parameter]:
    """One keyword parameter per task option (``TASK_OPTIONS``), None unless given."""
    return [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[kind, typer.Option(help=help, **limits)])
            for name, (kind, limits, help) in TASK_OPTIONS.items()]


def _task_keywords(values: dict[str, Any]) -> dict[str, Any]:
    """The given task options as the verbs' keywords: the generation ones as one ``settings`` (GenerationSettings), the
    perplexity ones as one ``window`` (Window)."""
    given = {name: values.pop(name) for name in TASK_OPTIONS}
    given = {name: value for name, value in given.items() if value is not None}
    generation = {name: given.pop(name) for name in GENERATION_OPTIONS if name in given}
    window = {field: given.pop(name) for name, field in WINDOW_OPTIONS.items() if name in given}
    return {**given, **({"settings": GenerationSettings(**generation)} if generation else {}),
            **({"window": Window(**window)} if window else {})}


def loading_options(*, label_column: str | None = "label", model: bool = True, data: bool = True, engine: bool = False,
                    task: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the shared options: ``--model`` (with ``model``), ``--data`` (with ``data``; else the command
    defines its own), every ``LoadOptions`` field, the data-file columns, ``--progress``,
    with ``engine`` ``--engine`` and the Ray options, and with ``task`` the task options (``TASK_OPTIONS``).

    The command receives them as one ``inputs`` (:class:`Inputs`). ``label_column`` is the
    label column's default (None: labels optional).
    """
    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(command)
        hints = get_type_hints(command, include_extras=True)
        own = [p.replace(annotation=hints[p.name]) for p in signature.parameters.values() if p.name != "inputs"]
        keyword = inspect.Parameter.KEYWORD_ONLY
        wanted = {"model": model, "data": data}
        references = {name: kind for name, kind in (("model", ModelRef), ("data", DataRef)) if wanted[name]}
        shared = [inspect.Parameter(name, keyword, annotation=kind) for name, kind in references.items()] + _load_parameters()
        defaults = {"text_column": "text", "label_column": label_column, "id_column": "id", "source_column": "source", "reference_column": None}
        shared += [inspect.Parameter(name, keyword, default=defaults[name], annotation=Annotated[Optional[str] if defaults[name] is None else str, typer.Option(help=help)])
                   for name, help in DATA_OPTIONS.items()]
        shared.append(inspect.Parameter("progress", keyword, default=True, annotation=Progress))
        if engine:
            shared += _engine_parameters()
        if task:
            shared += _task_parameters()

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            values = {p.name: kwargs.pop(p.name) for p in shared}
            values = {k: v.value if isinstance(v, enum.Enum) else v for k, v in values.items()}
            options = LoadOptions(**{f.name: values.pop(f.name) for f in fields(LoadOptions)})
            ray = _ray_options(values) if engine else None
            keywords = _task_keywords(values) if task else {}
            inputs = Inputs(model=values.pop("model", None), data=values.pop("data", None), options=options,
                            show_progress=values.pop("progress"), columns=values, engine=ray, task_options=keywords)
            return command(inputs=inputs, **kwargs)

        parameters = shared[: len(references)] + own + shared[len(references):]  # --model and --data first in --help
        wrapper.__signature__ = signature.replace(parameters=[p.replace(kind=keyword) for p in parameters])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        return wrapper

    return decorate


def _check_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out {out} is a file; give a folder")


@app.command()
@loading_options(engine=True, task=True)
def evaluate(
    out: Annotated[Path, typer.Option(help="Folder for metrics.json (with provenance), predictions.csv, "
                                           "confusion_matrix.png and reliability.png.")],
    inputs: Inputs,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap confidence intervals (and of sampling).")] = 0,
    resume: Resume = False,
    shard_rows: ShardRows = 10_000,
    redact: Redact = False,
) -> None:
    """Evaluate a model on a labeled dataset: metrics.json and predictions (a classifier: predictions.csv, written shard by shard
    so a killed run finishes with --resume, and a confusion matrix; a question-answering model: predictions.jsonl with SQuAD exact
    match and F1; a generator: predictions.jsonl with ROUGE, BLEU and chrF per document, and overall with intervals)."""
    _check_folder(out)
    task, model, dataset = _prepared(inputs)
    logging.getLogger("workbench.shards").setLevel(logging.INFO)  # say which shards were written, and which skipped
    with redacting(redact) as counts:
        metrics = task.evaluate_into(out, model, dataset, seed=seed, progress=inputs.progress, resume=resume,
                                     shard_rows=shard_rows, **inputs.task_options)
    _echo(task.describe_metrics(metrics, out) + _redacted(counts))


def _redacted(counts: Counter[str]) -> list[str]:
    """The line that says what ``--redact`` replaced, by kind; none when nothing was."""
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    return [f"redacted in what is displayed: {kinds}"] if kinds else []


def _prepared(inputs: Inputs, **keywords: Any) -> tuple[Any, Any, Any]:
    """The task, model and dataset of a command, checked as the verbs check them (``verbs.prepare``)."""
    from .verbs import prepare

    dataset, model = inputs.load()
    return prepare(model, dataset, None, {**keywords, **inputs.task_options})


def _echo(lines: list[str]) -> None:
    for line in lines:
        typer.echo(line)


@app.command()
@loading_options(label_column=None, engine=True, task=True)
def predict(
    inputs: Inputs,
    out: Annotated[Path, typer.Option(help="File for the predictions: a classifier's .csv or .parquet (id, label, "
                                           "prediction, p_<label>...); a question-answering model's or a generator's "
                                           ".jsonl or .parquet (id, prediction; answers: start, end, score).")],
    seed: Annotated[int, typer.Option(help="Seed of sampling (generation with --do-sample).")] = 0,
    resume: Resume = False,
    shard_rows: ShardRows = 10_000,
) -> None:
    """Predict a dataset (labels optional) into one file, written a shard at a time, so a killed run finishes with
    --resume; a classifier also reads its file a shard at a time, so a file larger than memory works."""
    from .models import load_model
    from .models.loader import model_task
    from .tasks import TASKS, check_options

    # read from the folder (a decoder-only LM classifies when --prompt gives verbalizers): a wrong --out is refused
    # before any model loads
    task = TASKS[model_task(inputs.model, None, inputs.options.prompt)]
    if out.is_dir() or out.suffix.lower().lstrip(".") not in task.predict_formats:
        formats = " or ".join(f".{suffix}" for suffix in task.predict_formats)
        raise ParameterError(f"--out {out} must be a {formats} file path for a {task.model_kind}")
    check_options(task, inputs.task_options)
    model = load_model(inputs.model, inputs.options, task=task.name)
    logging.getLogger("workbench.shards").setLevel(logging.INFO)  # say which shards were written, and which skipped
    rows = task.stream(model, inputs.data, out, columns=inputs.columns, seed=seed, engine=inputs.engine,
                       progress=inputs.progress, resume=resume, shard_rows=shard_rows, **inputs.task_options)
    typer.echo(f"wrote {rows} predictions to {out}")


@app.command()
@loading_options(label_column=None, engine=True, task=True)
def explain(
    out: Annotated[Path, typer.Option(help="Folder for attributions.jsonl, faithfulness.json and index.html.")],
    inputs: Inputs,
    method: Annotated[Optional[list[Method]], typer.Option(help="Explanation method; repeat for several [default: lime, shap and integrated-gradients; "
                                                            "question answering: lime, shap, occlusion and "
                                                            "integrated-gradients; generation: occlusion and "
                                                            "integrated-gradients].",
                                                            show_default=False)] = None,
    n: Annotated[Optional[int], typer.Option(help="Documents (questions) to explain, spread evenly over the data [default: 20; question answering: 5].",
                                             show_default=False)] = None,
    seed: Annotated[int, typer.Option(help="Seed of LIME and the random baseline.")] = 0,
    num_samples: Annotated[Optional[int], typer.Option(help="Model evaluations per document (LIME samples, SHAP max_evals, IG starting steps) [default: per method].")] = None,
    stability_seeds: Annotated[Optional[int], typer.Option(help="Extra seeds that re-run LIME to measure its stability (0: skip); SHAP and the rest "
                                                                "are deterministic (default: 1; generation: none).", show_default=False)] = None,
    cache: Annotated[bool, typer.Option(help="Reuse explanations cached under $WORKBENCH_HOME/explanations.")] = True,
    contrast: Annotated[Optional[str], typer.Option(
        help="runner-up: explain each prediction rather than the model's next choice (a classifier's second most "
             "probable label; a generator's second-ranked token at each step), as log p(prediction) - log p(runner-up) "
             "[default: the prediction's probability].", show_default=False)] = None,
    redact: Redact = False,
) -> None:
    """Explain documents (or a question-answering model's answers, or a generator's outputs token by token) with LIME,
    SHAP, gradients or occlusion; score faithfulness, agreement and stability.

    Every method explains what the model read: the words within its token limit (truncate), or
    each window, averaged like the prediction (window); for an answer, the words of the
    question and of the context toward the answer's span probability.
    """
    _check_folder(out)
    common = {"methods": [m.value for m in method] if method else None, "n": n, "seed": seed, "num_samples": num_samples,
              "stability_seeds": stability_seeds, "cache": cache, "progress": inputs.progress, "contrast": contrast}
    common = {k: v for k, v in common.items() if v is not None}  # the verb's own defaults, which differ by task
    task, model, dataset = _prepared(inputs, **common)
    study = task.explain_dataset(model, dataset, **common, **inputs.task_options)
    with redacting(redact) as counts:
        study.write(out)
    _echo(task.describe_study(study, out) + _redacted(counts))


@app.command()
@loading_options(model=False, task=True)
def compare(
    models: Annotated[list[str], typer.Argument(help="Model folders or demo names, two or more (after --models).", show_default=False)],
    out: Annotated[Path, typer.Option(help="Folder for compare.json, compare.html and predictions/.")],
    inputs: Inputs,
    models_flag: Annotated[bool, typer.Option("--models", help="Marks the model references that follow: --models REF REF [REF ...].")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap intervals, the typo probe and the explanations.")] = 0,
    slice_column: Annotated[list[str], typer.Option(help="A column of the data file to slice metrics by; repeat for several.")] = [],  # noqa: B006
    probe_n: Annotated[Optional[int], typer.Option(help="Classifiers: documents that get the counterfactual probes [default: all].")] = None,
    explain_n: Annotated[Optional[int], typer.Option(help="Classifiers: documents whose explanations are compared across models (0: skip) "
                                                          "(default: 5).", show_default=False)] = None,
    explain_method: Annotated[Optional[Method], typer.Option(help="Classifiers: explanation method for that comparison (default: lime).",
                                                             show_default=False)] = None,
    num_samples: Annotated[Optional[int], typer.Option(help="Classifiers: model evaluations per explained document (default: 200).",
                                                       show_default=False)] = None,
    memory: Annotated[Optional[bool], typer.Option(help="Classifiers: measure each model's peak memory in a fresh process (default: yes).",
                                                   show_default=False)] = None,
    redact: Redact = False,
) -> None:
    """Compare models on one labeled dataset: metrics with intervals, McNemar's test, cost, slices, probes
    (question-answering models: exact match and F1 with intervals, McNemar's test, slices, speed; generators: ROUGE,
    BLEU and chrF with intervals, paired bootstrap on ROUGE-L and chrF, slices by source length, speed)."""
    from .tasks import task_of
    from .verbs import compare as compare_models

    _check_folder(out)
    dataset = inputs.dataset()
    chosen = {"slice_columns": slice_column or None, "probe_n": probe_n, "explain_n": explain_n, "num_samples": num_samples,
              "explain_method": explain_method.value if explain_method else None, "measure_memory": memory}
    keywords = {**{k: v for k, v in chosen.items() if v is not None}, **inputs.task_options}
    comparison = compare_models(models, dataset, seed=seed, options=inputs.options, progress=inputs.progress,
                                **keywords)
    task = task_of(dataset)
    with redacting(redact) as counts:
        comparison.write(out)
    _echo(task.describe_comparison(comparison, out) + _redacted(counts))


@app.command()
@loading_options(data=False, task=True)
def audit(
    out: Annotated[Path, typer.Option(help="Folder for audit.json (every figure) and audit.html.")],
    inputs: Inputs,
    data: Annotated[Optional[str], typer.Option(help="A built-in dataset without a split (bbc-news, bbc-qa, "
                                                     "bbc-headlines): its train split against its test split.")] = None,
    members: Annotated[Optional[str], typer.Option(help="The model's training examples (a data file or split), "
                                                        "instead of --data.")] = None,
    non_members: Annotated[Optional[str], typer.Option(help="Held-out examples the model never saw, beside "
                                                            "--members.")] = None,
    reference: Annotated[Optional[str], typer.Option(help="A model of the same task trained on neither: the "
                                                          "reference-calibrated membership attack.")] = None,
    n: Annotated[Optional[int], typer.Option(min=2, help="Examples drawn from each side [default: as many as the "
                                                         "smaller side has].", show_default=False)] = None,
    ngram: Annotated[int, typer.Option(min=1, help="Generators: words in a row of training text that count as "
                                                   "memorized.")] = 8,
    word_list: Annotated[Optional[Path], typer.Option(help="Tab-separated word pairs swapped by the bias probe "
                                                           "[default: the built-in gendered words and names].",
                                                      show_default=False)] = None,
    seed: Annotated[int, typer.Option(help="Seed of the samples, the bootstrap intervals and the MinHash "
                                           "sketches.")] = 0,
    redact: Redact = False,
) -> None:
    """Audit a model: can an attacker tell its training examples by their loss (membership inference, AUC and
    true-positive rates at 1 % and 0.1 % false positives), does a generator repeat training text, which held-out
    examples copy training ones, and does swapping gendered words change its predictions."""
    from .datasets.loading import load_dataset
    from .verbs import audit as audit_model, audit_sides

    _check_folder(out)
    sides = [load_dataset(ref, **inputs.columns) for ref in audit_sides(data, members, non_members)]
    result = audit_model(inputs.model, members=sides[0], non_members=sides[1],
                         reference=reference, n=n, ngram=ngram, word_list=word_list, seed=seed, options=inputs.options,
                         progress=inputs.progress, **inputs.task_options)
    with redacting(redact) as counts:
        result.write(out)
    _echo(describe_audit(result, out) + _redacted(counts))


def describe_audit(result: Any, out: Path) -> list[str]:
    """The lines ``workbench audit`` prints: each figure with its interval, what does not apply, the files."""
    def ci(interval: Any) -> str:
        return "" if interval is None else f" ({interval.low:.3f}-{interval.high:.3f})"

    lines = [f"{result.model}: {result.sample} training and {result.sample} held-out examples; "
             f"{len(result.duplicates.exact)} exact and {len(result.duplicates.near)} near copies of training "
             "examples set aside"]
    lines += [f"membership {a.attack:<9} auc {a.auc:.3f}{ci(a.auc_interval)}  "
              f"tpr_at_1pct_fpr {a.tpr_at_1pct_fpr:.3f}{ci(a.tpr_at_1pct_fpr_interval)}  "
              f"tpr_at_0_1pct_fpr {a.tpr_at_0_1pct_fpr:.3f}" for a in result.membership]
    m = result.memorization
    if m is not None:
        lines.append(f"memorization_rate {m.memorization_rate:.3f}{ci(m.memorization_rate_interval)}  held-out "
                     f"{m.held_out_memorization_rate:.3f}{ci(m.held_out_memorization_rate_interval)}  "
                     f"({m.ngram} words)")
    lines += [f"bias {b.edit}: {b.changed} of {b.edited} changed{ci(b.change_rate_interval)}" for b in result.bias]
    lines += [f"personal data in {d.dataset}: " + (", ".join(f"{n} {kind}" for kind, n in d.found.items()) or "none")
              for d in result.personal_data]
    if result.emitted is not None:
        lines.append(f"outputs with personal data not in their source: {len(result.emitted)}")
    lines += [f"not applicable: {line}" for line in result.not_applicable]
    return lines + [f"wrote {out}/audit.json, audit.html"]


@app.command()
def bench(
    model: ModelRef = "demo:minilm-bbc",
    data: DataRef = "bbc-news:test",
    out: Annotated[Path, typer.Option(help="Folder for inference.json and explanations.json.")] = Path("benchmarks/results"),
    device: Annotated[str, typer.Option(help=LoadOptions.__dataclass_fields__["device"].metadata["help"], callback=_device)] = "auto",
    repeats: Annotated[int, typer.Option(min=1, help="Timed repetitions per measurement (the median is kept).")] = 3,
    scale: Annotated[int, typer.Option(min=2, help="Corpus multiple for the memory and time growth check.")] = 10,
    compile: Annotated[bool, typer.Option("--compile/--no-compile", help="Also measure torch.compile.")] = True,
    inference: Annotated[bool, typer.Option(help="Run the inference benchmark.")] = True,
    explanations: Annotated[bool, typer.Option(help="Run the LIME/SHAP benchmark against their README usage.")] = True,
    documents: Annotated[int, typer.Option(min=1, help="Documents per regime in the explanation benchmark.")] = 3,
    num_samples: Annotated[Optional[int], typer.Option(min=2, help="LIME samples and SHAP max_evals in the explanation "
                                                               "benchmark (default: each method's own).")] = None,
    quality_documents: Annotated[int, typer.Option(min=0, help="Documents on which every method's faithfulness, stability and cost are measured (0: skip).")] = 20,
    efficiency: Annotated[bool, typer.Option(help="Measure every explanation method's efficiency on every task "
                                                  "(classification, question answering, generation, the LLM) in the "
                                                  "explanation benchmark.")] = True,
    qa: Annotated[bool, typer.Option(help="Run the question-answering benchmark against the transformers 4 pipeline.")] = True,
    qa_model: Annotated[str, typer.Option(help="Question-answering model of that benchmark.")] = "demo:minilm-qa",
    qa_data: Annotated[str, typer.Option(help="Question-answering data of that benchmark.")] = "bbc-qa:test",
    qa_questions: Annotated[int, typer.Option(min=1, help="Questions in that benchmark, spread over the data.")] = 64,
    generation: Annotated[bool, typer.Option(help="Run the generation benchmark: batched against one text at a time, token attributions against Inseq.")] = True,
    generation_model: Annotated[str, typer.Option(help="Generator of that benchmark.")] = "demo:headline-bbc",
    generation_data: Annotated[str, typer.Option(help="Generation data of that benchmark.")] = "bbc-headlines:test",
    generation_documents: Annotated[int, typer.Option(min=1, help="Documents in that benchmark, spread over the data.")] = 64,
    llm: Annotated[bool, typer.Option(help="Run the LLM benchmark: a prompted classifier's shared cache against one "
                                           "forward per label and lm-eval; chat generation against one prompt at a "
                                           "time.")] = True,
    llm_model: Annotated[str, typer.Option(help="Decoder-only LM of that benchmark, with a classification prompt.")
                         ] = "demo:smollm2-instruct",
    scaling: Annotated[bool, typer.Option(help="Run the scaling benchmark: the local engine against Ray with 1 and 2 workers, and streaming "
                                               "memory at 200,000 and 2,000,000 rows.")] = True,
    scaling_model: Annotated[str, typer.Option(help="Classifier of the Ray throughput measurement.")] = "demo:minilm-l3-bbc",
    scaling_documents: Annotated[int, typer.Option(min=100, help="60-word documents in the Ray throughput measurement.")] = 3000,
    corpus_map: Annotated[bool, typer.Option(help="Run the corpus map benchmark: time to first draw and memory "
                                                  "at 5,000 and 50,000 points in JupyterLab.")] = True,
    corpus_map_model: Annotated[str, typer.Option(help="Model whose embeddings it lays out.")] = "demo:tfidf-logreg",
) -> None:
    """Benchmark inference against the pipeline and the matmul peak, LIME/SHAP against their README usage, question
    answering against the question-answering pipeline, generation against one text at a time (and Inseq), and the local engine against
    Ray Data (with streaming memory at 200,000 and 2,000,000 rows), and the corpus map at 5,000 and 50,000 points."""
    from .bench.efficiency import default_subjects
    from .bench.explanations import format_explanation_table, run_explanation_benchmark
    from .bench.inference import format_table, run_inference_benchmark

    _check_folder(out)
    if qa:
        from .bench.qa import format_qa_table, run_qa_benchmark

        answers = run_qa_benchmark(qa_model, qa_data, questions=qa_questions, repeats=repeats, out=out)
        typer.echo(format_qa_table(answers))
        typer.echo(f"wrote {out / 'answers.json'}")
    if generation:
        from .bench.generation import format_generation_table, run_generation_benchmark

        outputs = run_generation_benchmark(generation_model, generation_data, documents=generation_documents, repeats=repeats, out=out)
        typer.echo(format_generation_table(outputs))
        typer.echo(f"wrote {out / 'generation.json'}")
    if llm:
        from .bench.llm import format_llm_table, run_llm_benchmark

        scored = run_llm_benchmark(llm_model, repeats=repeats, out=out)
        typer.echo(format_llm_table(scored))
        typer.echo(f"wrote {out / 'llm.json'}")
    if scaling:
        from .bench.scaling import format_scaling_table, run_scaling_benchmark

        scaled = run_scaling_benchmark(scaling_model, data, documents=scaling_documents, repeats=max(2, repeats - 1), out=out)
        typer.echo(format_scaling_table(scaled))
        typer.echo(f"wrote {out / 'scaling.json'}")
    if corpus_map:
        from .bench.corpus_map import format_corpus_map_table, run_corpus_map_benchmark

        drawn = run_corpus_map_benchmark(corpus_map_model, out=out)
        typer.echo(format_corpus_map_table(drawn))
        typer.echo(f"wrote {out / 'corpus_map.json'}")
    if inference:
        result = run_inference_benchmark(model, data, device=device, repeats=repeats, scale=scale, with_compile=compile, out=out)
        typer.echo(format_table(result))
        typer.echo(f"wrote {out / 'inference.json'}")
    if explanations:
        subjects = default_subjects(model, data, qa_model, qa_data, generation_model, generation_data, llm_model)
        result = run_explanation_benchmark(model, data, documents=documents, num_samples=num_samples,
                                           quality_documents=quality_documents, device=device,
                                           efficiency=subjects if efficiency else (), out=out)
        typer.echo(format_explanation_table(result))
        typer.echo(f"wrote {out / 'explanations.json'}")


def _parameter_pairs(args: list[str]) -> list[tuple[str, str]]:
    """``-p NAME VALUE`` pairs from the arguments Typer left over; anything else is a one-line error."""
    pairs, rest = [], list(args)
    while rest:
        flag = rest.pop(0)
        if flag not in ("-p", "--parameter"):
            raise ParameterError(f"unexpected argument {flag!r}; give parameters as -p NAME VALUE (see `workbench report --help`)")
        if len(rest) < 2:
            raise ParameterError(f"{flag} needs a NAME and a VALUE, e.g. -p seed 1")
        pairs.append((rest.pop(0), rest.pop(0)))
    return pairs


@app.command("bench-gpu")
def bench_gpu(
    device: Annotated[str, typer.Option(help="The device to check: cuda, or cpu for a dry run with small counts.",
                                        callback=_device)] = "cuda",
    out: Annotated[Path, typer.Option(help="Folder for gpu.json.")] = Path("benchmarks/results"),
    documents: Annotated[int, typer.Option(min=1, help="BBC articles classified (the test set repeated).")] = 20000,
    questions: Annotated[int, typer.Option(min=1, help="BBC questions answered (at most the 276 of bbc-qa:test).")
                         ] = 276,
    generation_documents: Annotated[int, typer.Option(min=1, help="BBC articles given headlines.")] = 256,
    explain_documents: Annotated[int, typer.Option(min=1, help="Documents explained by LIME and by integrated "
                                                                "gradients, at their default budgets.")] = 5,
    repeats: Annotated[int, typer.Option(min=1, help="Timed repetitions of the inference measurements (median).")] = 3,
) -> None:
    """The GPU check: classification as a share of the device's matmul peak (bf16 on CUDA), question answering,
    generation and LIME and integrated gradients per document, on the demos; writes gpu.json."""
    from .bench.gpu import format_gpu_table, run_gpu_benchmark

    _check_folder(out)
    result = run_gpu_benchmark(device, documents=documents, questions=questions,
                               generation_documents=generation_documents, explain_documents=explain_documents,
                               repeats=repeats, out=out)
    typer.echo(format_gpu_table(result))
    typer.echo(f"wrote {out / 'gpu.json'}")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def report(
    ctx: typer.Context,
    notebook: Annotated[Path, typer.Argument(help="The parameterized notebook, e.g. notebooks/evaluate.ipynb.", show_default=False)],
    out: Annotated[Path, typer.Option(help="Folder for the executed notebook, its HTML, metrics.json and manifest.json.")],
    parameters_file: Annotated[list[Path], typer.Option("-f", "--parameters-file", help="YAML file of NAME: VALUE parameters; repeat for several (later wins).")] = [],  # noqa: B006
    timeout: Annotated[int, typer.Option(min=1, help="Seconds one cell may run before the report fails.")] = 3600,
    kernel: Annotated[str, typer.Option(help="Jupyter kernel that runs the notebook.")] = "workbench",
    log_output: Annotated[bool, typer.Option(help="Echo the notebook's printed output while it runs.")] = False,
    redact: Redact = False,
) -> None:
    """Run a parameterized notebook into a report: -p NAME VALUE (repeatable) sets a parameter.

    Names must be declared in the notebook's `parameters` cell; values are read as YAML unless
    the default is text: -p seed 3, -p num_samples null, -p model demo:minilm-bbc.
    """
    from .report.parameters import parse_cli_parameters
    from .report.runner import run_report

    parameters = parse_cli_parameters(notebook, _parameter_pairs(ctx.args), parameters_file)
    result = run_report(notebook, out, parameters, kernel=kernel, timeout=timeout, log_output=log_output, redact=redact)
    headline = " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.manifest.get("headline", {}).items())
    typer.echo(f"{notebook.name}: {headline}".rstrip())
    _echo(_redacted(Counter(result.manifest.get("redacted", {}))))
    typer.echo(f"wrote {out}/{result.html.name}, {result.notebook.name}, metrics.json, manifest.json")


@app.command()
def index(
    root: Annotated[Path, typer.Argument(help="Folder whose sub-folders hold reports (e.g. reports).", show_default=False)],
) -> None:
    """Write ROOT/index.html, linking every report under ROOT with its headline figures."""
    from .report.runner import write_index

    typer.echo(f"wrote {write_index(root)}")


@data_app.command("list")
def data_list() -> None:
    """List the built-in datasets with their split sizes."""
    from .datasets.loading import list_datasets

    for row in list_datasets():
        typer.echo(f"{row['name']}: {row['documents']} documents (train {row['train']}, validation {row['validation']}, test {row['test']}) - {row['description']}")


@models_app.command("list")
def models_list() -> None:
    """List the demo models and whether each is built."""
    from .models.demos import list_demos

    for row in list_demos():
        state = "built" if row["built"] else "not built"
        typer.echo(f"{row['name']:<22} {state:<10} {row['description']}")


@models_app.command("path")
def models_path(name: Annotated[str, typer.Argument(help="Demo name, with or without 'demo:'.")]) -> None:
    """Print the folder of a built demo model."""
    from .models.folders import DEMO_PREFIX, resolve_model_folder

    typer.echo(str(resolve_model_folder(name if name.startswith(DEMO_PREFIX) else DEMO_PREFIX + name)))


@models_app.command("build-demo")
def models_build_demo(
    names: Annotated[list[str] | None, typer.Argument(help="Demo names to build (default: all but the membership "
                                                           "references, *-reference).")] = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if the cached model is current.")] = False,
) -> None:
    """Build the demo models offline (about 10 minutes on 2 CPU cores); current ones are kept."""
    from .demos.build import build_demo
    from .models.demos import DEMOS, default_demos, is_current

    selected = [n.removeprefix("demo:") for n in names] if names else default_demos()
    unknown = [n for n in selected if n not in DEMOS]
    if unknown:
        raise ParameterError(f"unknown demo model {unknown[0]!r}; demo models: {', '.join(sorted(DEMOS))}")
    for name in selected:
        if is_current(name) and not force:
            typer.echo(f"demo:{name} is up to date")
            continue
        info = build_demo(name, force=force)
        score = next(f"{key.replace('_', ' ')} {value:.4f}" for key, value in info.items()
                     if key.endswith(("_accuracy", "_exact_match", "_rouge1")))
        typer.echo(f"built demo:{name} in {info['build_seconds']:.0f} s ({score})")


@cache_app.command("info")
def cache_info() -> None:
    """Where the explanation cache is, how many entries it holds, and its size against the cap."""
    from .explainers.cache import default_cache

    info = default_cache().info()
    typer.echo(f"{info['root']}: {info['entries']} explanations, {info['bytes'] / 2**20:.1f} MiB of {info['max_bytes'] / 2**20:.0f} MiB "
               "(cap: $WORKBENCH_CACHE_MAX_MB; least recently used entries go first)")


@cache_app.command("clear")
def cache_clear() -> None:
    """Delete every cached explanation."""
    from .explainers.cache import default_cache

    cache = default_cache()
    typer.echo(f"deleted {cache.clear()} explanations from {cache.root}")


def main() -> None:
    """Console-script entry point: the process settings the command line needs, then the app.

    Set here, not on import, so importing the package changes nothing in the caller's process:
    no model hub access (models load from local folders only) and quiet tokenizer threads.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    app(prog_name="workbench")


if __name__ == "__main__":
    sys.exit(main())
