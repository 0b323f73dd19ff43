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
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any, Optional, get_type_hints

import typer
from typer.core import TyperGroup

from .errors import ParameterError, WorkbenchError
from .explainers import METHODS
from .models import LoadOptions
from .models.options import check_device_name
from .records.generation import GenerationSettings


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
MaxAnswerLen = Annotated[int, typer.Option(min=1, help="Question answering: most tokens in an answer.")]
DocStride = Annotated[Optional[int], typer.Option(help="Question answering: tokens of overlap between context windows (default: 128, or half a window).")]
MaxSeqLen = Annotated[Optional[int], typer.Option(help="Question answering: tokens per window (default: the model's limit, at most 384).")]
MaxNewTokens = Annotated[int, typer.Option(min=1, help="Generation: most new tokens per output.")]
NumBeams = Annotated[int, typer.Option(min=1, help="Generation: beams (1: greedy).")]
DoSample = Annotated[bool, typer.Option(help="Generation: sample (seeded by --seed) instead of greedy or beam search.")]
Resume = Annotated[bool, typer.Option(help="Finish a killed run into the same --out: shards already written are kept.")]
ShardRows = Annotated[int, typer.Option(min=1, help="Rows per shard of predictions (a killed run loses at most one shard of work).")]
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
    data: str
    options: LoadOptions
    columns: dict[str, Any]
    show_progress: bool = True
    engine: Any = None  # RayOptions for --engine ray, None for the local engine

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

        dataset, model = self.dataset(), load_model(self.model, self.options)
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
            help="Where the model runs: this process (local), or a Ray Data actor pool (ray; see README 'Scaling out').")]),
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


def loading_options(*, label_column: str | None = "label", model: bool = True, engine: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the shared options: ``--model`` (with ``model``), ``--data``, every ``LoadOptions`` field, the data-file columns, ``--progress``,
    and with ``engine`` ``--engine`` and the Ray options.

    The command receives them as one ``inputs`` (:class:`Inputs`). ``label_column`` is the
    label column's default (None: labels optional).
    """
    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(command)
        hints = get_type_hints(command, include_extras=True)
        own = [p.replace(annotation=hints[p.name]) for p in signature.parameters.values() if p.name != "inputs"]
        keyword = inspect.Parameter.KEYWORD_ONLY
        references = {"model": ModelRef, "data": DataRef} if model else {"data": DataRef}
        shared = [inspect.Parameter(name, keyword, annotation=kind) for name, kind in references.items()] + _load_parameters()
        defaults = {"text_column": "text", "label_column": label_column, "id_column": "id", "source_column": "source", "reference_column": None}
        shared += [inspect.Parameter(name, keyword, default=defaults[name], annotation=Annotated[Optional[str] if defaults[name] is None else str, typer.Option(help=help)])
                   for name, help in DATA_OPTIONS.items()]
        shared.append(inspect.Parameter("progress", keyword, default=True, annotation=Progress))
        if engine:
            shared += _engine_parameters()

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            values = {p.name: kwargs.pop(p.name) for p in shared}
            values = {k: v.value if isinstance(v, enum.Enum) else v for k, v in values.items()}
            options = LoadOptions(**{f.name: values.pop(f.name) for f in fields(LoadOptions)})
            ray = _ray_options(values) if engine else None
            inputs = Inputs(model=values.pop("model", None), data=values.pop("data"), options=options, show_progress=values.pop("progress"), columns=values,
                            engine=ray)
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
@loading_options(engine=True)
def evaluate(
    out: Annotated[Path, typer.Option(help="Folder for metrics.json (with provenance), predictions.csv and confusion_matrix.png.")],
    inputs: Inputs,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap confidence intervals.")] = 0,
    max_answer_len: MaxAnswerLen = 30,
    doc_stride: DocStride = None,
    max_seq_len: MaxSeqLen = None,
    max_new_tokens: MaxNewTokens = GenerationSettings.max_new_tokens,
    num_beams: NumBeams = 1,
    do_sample: DoSample = False,
    resume: Resume = False,
    shard_rows: ShardRows = 10_000,
) -> None:
    """Evaluate a model on a labeled dataset: metrics.json and predictions (a classifier: predictions.csv, written shard by shard
    so a killed run finishes with --resume, and a confusion matrix; a question-answering model: predictions.jsonl with SQuAD exact
    match and F1; a generator: predictions.jsonl with ROUGE, BLEU and chrF per document, and overall with intervals)."""
    from .studies.answering import check_task

    _check_folder(out)
    dataset, model = inputs.load()
    check_task(model, dataset)
    if resume and model.task != "classification":
        raise ParameterError(f"--resume applies to classifiers, whose predictions are written in shards; {inputs.model} is a {model.task} model: "
                             "leave out --resume")
    if model.task == "generation":
        from .statistics.generation_metrics import compute_generation_metrics
        from .studies.generating import predict_generations, write_generation_evaluation

        generations = predict_generations(model, dataset, GenerationSettings(max_new_tokens=max_new_tokens, num_beams=num_beams, do_sample=do_sample,
                                                                             seed=seed), progress=inputs.progress)
        scores = compute_generation_metrics(generations, seed=seed)
        write_generation_evaluation(out, generations, scores)
        typer.echo(f"{inputs.model} on {dataset.name}: n={scores.n} ROUGE-1={scores.rouge1:.4f} ROUGE-L={scores.rougeL:.4f} "
                   f"BLEU={scores.bleu:.2f} chrF={scores.chrf:.2f}")
        typer.echo(f"wrote {out}/metrics.json, predictions.jsonl")
        return
    if model.task == "question-answering":
        from .statistics.qa_metrics import compute_qa_metrics
        from .studies.answering import predict_answers, write_qa_evaluation

        answers = predict_answers(model, dataset, max_answer_len=max_answer_len, doc_stride=doc_stride, max_seq_len=max_seq_len, progress=inputs.progress)
        scores = compute_qa_metrics(answers, seed=seed)
        write_qa_evaluation(out, answers, scores)
        typer.echo(f"{inputs.model} on {dataset.name}: n={scores.n} exact match={scores.exact_match:.2f} F1={scores.f1:.2f}")
        typer.echo(f"wrote {out}/metrics.json, predictions.jsonl")
        return
    from .studies.evaluation import evaluate_into

    logging.getLogger("workbench.studies.prediction").setLevel(logging.INFO)  # say which shards were written, and which skipped
    metrics = evaluate_into(out, model, dataset, seed=seed, progress=inputs.progress, resume=resume, shard_rows=shard_rows)
    ci = metrics.ci["accuracy"]
    interval = f" (95% CI {ci.low:.3f}-{ci.high:.3f})" if ci else ""
    typer.echo(f"{inputs.model} on {dataset.name}: n={metrics.n} accuracy={metrics.accuracy:.4f}{interval} macro-F1={metrics.f1_macro:.4f}")
    typer.echo(f"wrote {out}/metrics.json, predictions.csv, confusion_matrix.png")


@app.command()
@loading_options(label_column=None, engine=True)
def predict(inputs: Inputs, out: Annotated[Path, typer.Option(help="File for id, label, prediction and one probability column per label: .csv or .parquet.")],
            resume: Resume = False, shard_rows: ShardRows = 10_000) -> None:
    """Predict a dataset (labels optional), streaming: rows are read and written a shard at a time, so a file larger than memory
    works, and a killed run finishes with --resume."""
    from .studies.prediction import stream_predictions
    from .datasets.streaming import TextSource

    if out.is_dir() or out.suffix.lower() not in (".csv", ".parquet"):
        raise ParameterError(f"--out {out} must be a .csv or .parquet file path")
    from .models import load_model

    classifier = load_model(inputs.model, inputs.options)  # first: a model of another task is the mistake to name, whatever its data
    if classifier.task != "classification":
        raise ParameterError(f"{inputs.model} is a {classifier.task} model and predict writes class probabilities; use `workbench evaluate`, "
                             "which writes its answers or outputs to predictions.jsonl")
    source = TextSource(inputs.data, **{k: inputs.columns[k] for k in ("text_column", "label_column", "id_column")})
    logging.getLogger("workbench.studies.prediction").setLevel(logging.INFO)  # say which shards were written, and which skipped
    rows = stream_predictions(classifier, source, out, engine=inputs.engine, progress=inputs.progress, resume=resume, shard_rows=shard_rows)
    typer.echo(f"wrote {rows} predictions to {out}")


@app.command()
@loading_options(label_column=None, engine=True)
def explain(
    out: Annotated[Path, typer.Option(help="Folder for attributions.jsonl, faithfulness.json and index.html.")],
    inputs: Inputs,
    method: Annotated[Optional[list[Method]], typer.Option(help="Explanation method; repeat for several [default: lime, shap and integrated-gradients; "
                                                            "question answering and generation: occlusion and integrated-gradients].",
                                                            show_default=False)] = None,
    n: Annotated[Optional[int], typer.Option(help="Documents (questions) to explain, spread evenly over the data [default: 20; question answering: 5].",
                                             show_default=False)] = None,
    seed: Annotated[int, typer.Option(help="Seed of LIME and the random baseline.")] = 0,
    num_samples: Annotated[Optional[int], typer.Option(help="Model evaluations per document (LIME samples, SHAP max_evals, IG starting steps) [default: per method].")] = None,
    stability_seeds: Annotated[int, typer.Option(help="Extra seeds that re-run LIME to measure its stability (0: skip); SHAP and the rest are deterministic.")] = 1,
    cache: Annotated[bool, typer.Option(help="Reuse explanations cached under $WORKBENCH_HOME/explanations.")] = True,
    max_answer_len: MaxAnswerLen = 30,
    doc_stride: DocStride = None,
    max_seq_len: MaxSeqLen = None,
    max_new_tokens: MaxNewTokens = GenerationSettings.max_new_tokens,
    num_beams: NumBeams = 1,
) -> None:
    """Explain documents (or a question-answering model's answers, or a generator's outputs token by token) with LIME,
    SHAP, gradients or occlusion; score faithfulness, agreement and stability.

    Every method explains what the model read: the words within its token limit (truncate), or
    each window, averaged like the prediction (window); for an answer, the words of the
    question and of the context toward the answer's span probability.
    """
    from .studies.explanation import explain_dataset, write_study

    _check_folder(out)
    dataset, model = inputs.load()
    common = {"methods": [m.value for m in method] if method else None, "n": n, "seed": seed, "num_samples": num_samples,
              "stability_seeds": stability_seeds, "cache": cache, "progress": inputs.progress}
    common = {k: v for k, v in common.items() if v is not None}  # the verb's own defaults, which differ by task
    if model.task == "generation":
        from .studies.answering import check_task
        from .studies.generation_explanation import DEFAULT_METHODS, explain_generations, write_token_study

        check_task(model, dataset)
        tokens = explain_generations(model, dataset, methods=common.get("methods") or DEFAULT_METHODS, n=common.get("n", 5), seed=seed,
                                     num_samples=num_samples, settings=GenerationSettings(max_new_tokens=max_new_tokens, num_beams=num_beams),
                                     progress=inputs.progress)
        write_token_study(out, tokens)
        for name, f in tokens.faithfulness.items():
            interval = "" if f.advantage_ci is None else f" (95% CI {f.advantage_ci.low:+.4f} to {f.advantage_ci.high:+.4f})"
            typer.echo(f"{name:<22} comprehensiveness {f.comprehensiveness:.4f} (random {f.random:.4f}), advantage {f.advantage:+.4f}{interval}"
                       f"{'' if f.beats_random else '; does NOT beat random words'}  {tokens.seconds[name]:.1f} s")
        typer.echo(f"wrote {out}/token_attributions.jsonl, faithfulness.json, index.html ({len(tokens.ids)} documents)")
        return
    if model.task == "question-answering":
        from .studies.answer_explanation import explain_questions

        study = explain_questions(model, dataset, max_answer_len=max_answer_len, doc_stride=doc_stride, max_seq_len=max_seq_len, **common)
    else:
        from .studies.answering import check_task

        check_task(model, dataset)
        study = explain_dataset(model, dataset, **common)
    write_study(out, study)
    reading = study.reading
    if reading.documents_cut:
        typer.echo(f"the model reads {reading.max_tokens} tokens: {reading.documents_cut} of {len(study.ids)} documents were cut, "
                   f"and only the {reading.words_read} of {reading.words} words it read are explained")
    for name, scores in study.faithfulness.items():
        ours, chance = scores.method, scores.random
        typer.echo(f"{name:<22} comprehensiveness {ours.comprehensiveness:.3f} (random {chance.comprehensiveness:.3f})  "
                   f"sufficiency {ours.sufficiency:.3f} (random {chance.sufficiency:.3f})  AOPC {ours.aopc_comprehensiveness:.3f} (random {chance.aopc_comprehensiveness:.3f})")
    for name, checks in study.diagnostics.items():
        typer.echo(f"{name:<22} {checks.converged} of {checks.documents} documents within the {100 * checks.tolerance:.0f} % completeness tolerance; "
                   f"steps up to {checks.steps_max}, largest error {100 * (checks.relative_error_max or 0):.2f} %")
    for warning in study.warnings():
        typer.echo(f"WARNING {warning}")
    typer.echo(f"wrote {out}/attributions.jsonl, faithfulness.json, index.html ({len(study.ids)} documents)")


@app.command()
@loading_options(model=False)
def compare(
    models: Annotated[list[str], typer.Argument(help="Model folders or demo names, two or more (after --models).", show_default=False)],
    out: Annotated[Path, typer.Option(help="Folder for compare.json, compare.html and predictions/.")],
    inputs: Inputs,
    models_flag: Annotated[bool, typer.Option("--models", help="Marks the model references that follow: --models REF REF [REF ...].")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap intervals, the typo probe and the explanations.")] = 0,
    slice_column: Annotated[list[str], typer.Option(help="A column of the data file to slice metrics by; repeat for several.")] = [],  # noqa: B006
    probe_n: Annotated[Optional[int], typer.Option(help="Documents that get the counterfactual probes [default: all].")] = None,
    explain_n: Annotated[int, typer.Option(help="Documents whose explanations are compared across models (0: skip).")] = 5,
    explain_method: Annotated[Method, typer.Option(help="Explanation method for that comparison.")] = Method("lime"),
    num_samples: Annotated[int, typer.Option(help="Model evaluations per explained document.")] = 200,
    memory: Annotated[bool, typer.Option(help="Measure each model's peak memory in a fresh process.")] = True,
    max_answer_len: MaxAnswerLen = 30,
    doc_stride: DocStride = None,
    max_seq_len: MaxSeqLen = None,
    max_new_tokens: MaxNewTokens = GenerationSettings.max_new_tokens,
    num_beams: NumBeams = 1,
) -> None:
    """Compare models on one labeled dataset: metrics with intervals, McNemar's test, cost, slices, probes
    (question-answering models: exact match and F1 with intervals, McNemar's test, slices, speed; generators: ROUGE,
    BLEU and chrF with intervals, paired bootstrap on ROUGE-L and chrF, slices by source length, speed)."""
    from .studies.comparison import compare as run_compare
    from .studies.comparison import write_comparison

    _check_folder(out)
    dataset = inputs.dataset()
    if dataset.task == "generation":
        from .studies.generation_comparison import compare_generations, write_generation_comparison

        outputs = compare_generations(models, dataset, seed=seed, settings=GenerationSettings(max_new_tokens=max_new_tokens, num_beams=num_beams),
                                      options=inputs.options, progress=inputs.progress)
        write_generation_comparison(out, outputs)
        for ref, m in outputs.metrics.items():
            typer.echo(f"{ref:<24} ROUGE-1 {m.rouge1:.4f}  ROUGE-L {m.rougeL:.4f}  BLEU {m.bleu:.2f}  chrF {m.chrf:.2f}  "
                       f"{outputs.documents_per_s[ref]:.1f} documents/s")
        for pair in outputs.pairwise:
            typer.echo(pair.verdict())
        typer.echo(f"wrote {out}/compare.json, compare.html, predictions/")
        return
    if dataset.task == "question-answering":
        from .studies.answer_comparison import compare_answers, write_answer_comparison

        answers = compare_answers(models, dataset, seed=seed, max_answer_len=max_answer_len, doc_stride=doc_stride, max_seq_len=max_seq_len,
                                  options=inputs.options, progress=inputs.progress)
        write_answer_comparison(out, answers)
        for ref, m in answers.metrics.items():
            typer.echo(f"{ref:<24} exact match {m.exact_match:.2f}  F1 {m.f1:.2f}  {answers.questions_per_s[ref]:.1f} questions/s")
        for pair in answers.pairwise:
            typer.echo(pair.verdict())
        typer.echo(f"wrote {out}/compare.json, compare.html, predictions/")
        return
    comparison = run_compare(
        models, dataset, seed=seed, slice_columns=slice_column, probe_n=probe_n, explain_n=explain_n,
        explain_method=explain_method.value, num_samples=num_samples, measure_memory=memory, options=inputs.options,
        progress=inputs.progress,
    )
    write_comparison(out, comparison)
    for ref in comparison.models:
        m, c = comparison.metrics[ref], comparison.cost[ref]
        ci = m.ci["accuracy"]
        interval = f" ({ci.low:.3f}-{ci.high:.3f})" if ci else ""
        memory_text = f", {c.peak_memory_mb:.0f} MiB" if c.peak_memory_mb is not None else ""
        typer.echo(f"{ref:<24} accuracy {m.accuracy:.4f}{interval}  macro-F1 {m.f1_macro:.4f}  {c.docs_per_s:.1f} docs/s{memory_text}")
    for pair in comparison.pairwise:
        typer.echo(pair.verdict())
    typer.echo(f"wrote {out}/compare.json, compare.html, predictions/")


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
    num_samples: Annotated[int, typer.Option(min=2, help="LIME samples and SHAP max_evals in the explanation benchmark.")] = 500,
    quality_documents: Annotated[int, typer.Option(min=0, help="Documents on which every method's faithfulness, stability and cost are measured (0: skip).")] = 20,
    qa: Annotated[bool, typer.Option(help="Run the question-answering benchmark against the transformers 4 pipeline.")] = True,
    qa_model: Annotated[str, typer.Option(help="Question-answering model of that benchmark.")] = "demo:minilm-qa",
    qa_data: Annotated[str, typer.Option(help="Question-answering data of that benchmark.")] = "bbc-qa:test",
    qa_questions: Annotated[int, typer.Option(min=1, help="Questions in that benchmark, spread over the data.")] = 64,
    generation: Annotated[bool, typer.Option(help="Run the generation benchmark: batched against one text at a time, token attributions against Inseq.")] = True,
    generation_model: Annotated[str, typer.Option(help="Generator of that benchmark.")] = "demo:headline-bbc",
    generation_data: Annotated[str, typer.Option(help="Generation data of that benchmark.")] = "bbc-headlines:test",
    generation_documents: Annotated[int, typer.Option(min=1, help="Documents in that benchmark, spread over the data.")] = 64,
    scaling: Annotated[bool, typer.Option(help="Run the scaling benchmark: the local engine against Ray with 1 and 2 workers, and streaming "
                                               "memory at 200,000 and 2,000,000 rows.")] = True,
    scaling_model: Annotated[str, typer.Option(help="Classifier of the Ray throughput measurement.")] = "demo:minilm-l3-bbc",
    scaling_documents: Annotated[int, typer.Option(min=100, help="60-word documents in the Ray throughput measurement.")] = 3000,
) -> None:
    """Benchmark inference against the pipeline and the matmul peak, LIME/SHAP against their README usage, question
    answering against the question-answering pipeline, generation against one text at a time (and Inseq), and the local engine against
    Ray Data (with streaming memory at 200,000 and 2,000,000 rows)."""
    from .bench.explanations import format_explanation_table, run_explanation_benchmark
    from .bench.inference import format_table, run_inference_benchmark

    _check_folder(out)
    if qa:
        from .bench.answers import format_qa_table, run_qa_benchmark

        answers = run_qa_benchmark(qa_model, qa_data, questions=qa_questions, repeats=repeats, out=out)
        typer.echo(format_qa_table(answers))
        typer.echo(f"wrote {out / 'answers.json'}")
    if generation:
        from .bench.generation import format_generation_table, run_generation_benchmark

        outputs = run_generation_benchmark(generation_model, generation_data, documents=generation_documents, repeats=repeats, out=out)
        typer.echo(format_generation_table(outputs))
        typer.echo(f"wrote {out / 'generation.json'}")
    if scaling:
        from .bench.scaling import format_scaling_table, run_scaling_benchmark

        scaled = run_scaling_benchmark(scaling_model, data, documents=scaling_documents, repeats=max(2, repeats - 1), out=out)
        typer.echo(format_scaling_table(scaled))
        typer.echo(f"wrote {out / 'scaling.json'}")
    if inference:
        result = run_inference_benchmark(model, data, device=device, repeats=repeats, scale=scale, with_compile=compile, out=out)
        typer.echo(format_table(result))
        typer.echo(f"wrote {out / 'inference.json'}")
    if explanations:
        result = run_explanation_benchmark(model, data, documents=documents, num_samples=num_samples, quality_documents=quality_documents, device=device, out=out)
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


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def report(
    ctx: typer.Context,
    notebook: Annotated[Path, typer.Argument(help="The parameterized notebook, e.g. notebooks/evaluate.ipynb.", show_default=False)],
    out: Annotated[Path, typer.Option(help="Folder for the executed notebook, its HTML, metrics.json and manifest.json.")],
    parameters_file: Annotated[list[Path], typer.Option("-f", "--parameters-file", help="YAML file of NAME: VALUE parameters; repeat for several (later wins).")] = [],  # noqa: B006
    timeout: Annotated[int, typer.Option(min=1, help="Seconds one cell may run before the report fails.")] = 3600,
    kernel: Annotated[str, typer.Option(help="Jupyter kernel that runs the notebook.")] = "workbench",
    log_output: Annotated[bool, typer.Option(help="Echo the notebook's printed output while it runs.")] = False,
) -> None:
    """Run a parameterized notebook into a report: -p NAME VALUE (repeatable) sets a parameter.

    Names must be declared in the notebook's `parameters` cell; values are read as YAML unless
    the default is text: -p seed 3, -p num_samples null, -p model demo:minilm-bbc.
    """
    from .report.parameters import parse_cli_parameters
    from .report.runner import run_report

    parameters = parse_cli_parameters(notebook, _parameter_pairs(ctx.args), parameters_file)
    result = run_report(notebook, out, parameters, kernel=kernel, timeout=timeout, log_output=log_output)
    headline = " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.manifest.get("headline", {}).items())
    typer.echo(f"{notebook.name}: {headline}".rstrip())
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
        typer.echo(f"{row['name']:<20} {state:<10} {row['description']}")


@models_app.command("path")
def models_path(name: Annotated[str, typer.Argument(help="Demo name, with or without 'demo:'.")]) -> None:
    """Print the folder of a built demo model."""
    from .models.folders import DEMO_PREFIX, resolve_model_folder

    typer.echo(str(resolve_model_folder(name if name.startswith(DEMO_PREFIX) else DEMO_PREFIX + name)))


@models_app.command("build-demo")
def models_build_demo(
    names: Annotated[list[str] | None, typer.Argument(help="Demo names to build (default: all).")] = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if the cached model is current.")] = False,
) -> None:
    """Build the demo models offline (about 10 minutes on 2 CPU cores); current ones are kept."""
    from .demos.build import build_demo
    from .models.demos import DEMOS, is_current

    selected = [n.removeprefix("demo:") for n in names] if names else list(DEMOS)
    unknown = [n for n in selected if n not in DEMOS]
    if unknown:
        raise ParameterError(f"unknown demo model {unknown[0]!r}; demo models: {', '.join(sorted(DEMOS))}")
    for name in selected:
        if is_current(name) and not force:
            typer.echo(f"demo:{name} is up to date")
            continue
        info = build_demo(name, force=force)
        score = next(f"{key.replace('_', ' ')} {info[key]:.4f}" for key in ("validation_accuracy", "validation_exact_match", "validation_rouge1")
                     if key in info)
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
