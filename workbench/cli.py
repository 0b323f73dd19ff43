"""The ``workbench`` command line (Typer).

User mistakes raise WorkbenchError; :class:`_Group` catches it once, prints one line to
stderr and exits 2. Anything else is a bug and exits 1 with its traceback. Heavy libraries are
imported inside the commands, so ``workbench --help`` is fast.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from .errors import ParameterError, WorkbenchError

class _Group(TyperGroup):
    """A command group that turns WorkbenchError into one stderr line and its exit code (2; 1 for a failed notebook)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except WorkbenchError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None


def _app(help: str) -> typer.Typer:
    return typer.Typer(cls=_Group, help=help, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


app = _app("Evaluate, explain and compare transformer text classifiers.")
data_app = _app("Built-in datasets.")
models_app = _app("Demo models and model folders.")
app.add_typer(data_app, name="data")
app.add_typer(models_app, name="models")


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


# Options shared by every command that loads a model or a dataset (one definition each).
ModelRef = Annotated[str, typer.Option("--model", help="Model folder or demo name (demo:minilm-bbc).")]
DataRef = Annotated[str, typer.Option("--data", help="bbc-news:SPLIT or a .csv/.jsonl/.parquet file.")]
Device = Annotated[str, typer.Option(help="auto, cpu, cuda or mps.")]
Precision = Annotated[str, typer.Option(help="auto (bf16 on CUDA, fp32 elsewhere), fp32, bf16, fp16 or int8 (CPU, faster, outputs change slightly).")]
Backend = Annotated[str, typer.Option(help="torch, or onnxruntime (CPU, fp32: same outputs, ONNX Runtime's kernels).")]
BatchSize = Annotated[int, typer.Option(help="Most texts per forward pass.")]
TokenBudget = Annotated[Optional[int], typer.Option(help="Most padded tokens per forward pass [default: per device].")]
LongText = Annotated[str, typer.Option(help="truncate (at the model's limit) or window (average over sliding windows).")]
Stride = Annotated[int, typer.Option(help="Tokens of overlap between windows (--long-text window).")]
TextColumn = Annotated[str, typer.Option(help="Text column of a data file.")]
LabelColumn = Annotated[str, typer.Option(help="Label column of a data file.")]
IdColumn = Annotated[str, typer.Option(help="Optional id column of a data file.")]
Progress = Annotated[bool, typer.Option(help="Show a progress bar on long inputs.")]


def _load(model: str, data: str, *, device: str, precision: str, backend: str, batch_size: int, token_budget: int | None, long_text: str, stride: int, text_column: str, label_column: str | None, id_column: str):
    """The dataset, then the model (data errors surface before a model loads)."""
    from .data import load_dataset
    from .models import load_model

    dataset = load_dataset(data, text_column=text_column, label_column=label_column, id_column=id_column)
    classifier = load_model(model, device=device, precision=precision, backend=backend, batch_size=batch_size, token_budget=token_budget, long_text=long_text, stride=stride)
    return dataset, classifier


def _check_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out {out} is a file; give a folder")


@app.command()
def evaluate(
    model: ModelRef,
    data: DataRef,
    out: Annotated[Path, typer.Option(help="Folder for metrics.json, predictions.csv and confusion_matrix.png.")],
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap confidence intervals.")] = 0,
    device: Device = "auto",
    precision: Precision = "auto",
    backend: Backend = "torch",
    batch_size: BatchSize = 256,
    token_budget: TokenBudget = None,
    long_text: LongText = "truncate",
    stride: Stride = 32,
    text_column: TextColumn = "text",
    label_column: LabelColumn = "label",
    id_column: IdColumn = "id",
    progress: Progress = True,
) -> None:
    """Evaluate a model on a labeled dataset and write metrics.json, predictions.csv and a confusion matrix."""
    from .evaluation import predict, write_evaluation
    from .metrics import compute_metrics

    _check_folder(out)
    dataset, classifier = _load(
        model, data, device=device, precision=precision, backend=backend, batch_size=batch_size, token_budget=token_budget,
        long_text=long_text, stride=stride, text_column=text_column, label_column=label_column, id_column=id_column,
    )
    predictions = predict(classifier, dataset, progress=None if progress else False)
    metrics = compute_metrics(predictions, seed=seed)
    write_evaluation(out, predictions, metrics)
    ci = metrics.ci["accuracy"]
    interval = f" (95% CI {ci.low:.3f}-{ci.high:.3f})" if ci else ""
    typer.echo(f"{model} on {dataset.name}: n={metrics.n} accuracy={metrics.accuracy:.4f}{interval} macro-F1={metrics.f1_macro:.4f}")
    typer.echo(f"wrote {out}/metrics.json, predictions.csv, confusion_matrix.png")


@app.command()
def predict(
    model: ModelRef,
    data: DataRef,
    out: Annotated[Path, typer.Option(help="CSV file for id, label, prediction and one probability column per label.")],
    device: Device = "auto",
    precision: Precision = "auto",
    backend: Backend = "torch",
    batch_size: BatchSize = 256,
    token_budget: TokenBudget = None,
    long_text: LongText = "truncate",
    stride: Stride = 32,
    text_column: TextColumn = "text",
    label_column: Annotated[Optional[str], typer.Option(help="Label column of a data file, if any.")] = None,
    id_column: IdColumn = "id",
    progress: Progress = True,
) -> None:
    """Predict a dataset (labels optional), streaming rows into a CSV as each chunk completes."""
    from .evaluation import stream_predictions

    if out.is_dir():
        raise ParameterError(f"--out {out} is a folder; give a .csv file path")
    dataset, classifier = _load(
        model, data, device=device, precision=precision, backend=backend, batch_size=batch_size, token_budget=token_budget,
        long_text=long_text, stride=stride, text_column=text_column, label_column=label_column, id_column=id_column,
    )
    rows = stream_predictions(classifier, dataset, out, progress=None if progress else False)
    typer.echo(f"wrote {rows} predictions to {out}")


@app.command()
def explain(
    model: ModelRef,
    data: DataRef,
    out: Annotated[Path, typer.Option(help="Folder for attributions.jsonl, faithfulness.json and index.html.")],
    method: Annotated[list[str], typer.Option(help="Explanation method; repeat for several: lime, shap, integrated-gradients, gradient-x-input, occlusion.")] = ["lime", "shap", "integrated-gradients"],  # noqa: B006
    n: Annotated[int, typer.Option(help="Documents to explain, spread evenly over the data.")] = 20,
    seed: Annotated[int, typer.Option(help="Seed of LIME and the random baseline.")] = 0,
    num_samples: Annotated[Optional[int], typer.Option(help="Model evaluations per document (LIME samples, SHAP max_evals, IG starting steps) [default: per method].")] = None,
    stability_seeds: Annotated[int, typer.Option(help="Extra seeds that re-run LIME to measure its stability (0: skip); SHAP and the rest are deterministic.")] = 1,
    cache: Annotated[bool, typer.Option(help="Reuse explanations cached under $WORKBENCH_HOME/explanations.")] = True,
    device: Device = "auto",
    precision: Precision = "auto",
    backend: Backend = "torch",
    batch_size: BatchSize = 256,
    token_budget: TokenBudget = None,
    long_text: LongText = "truncate",
    stride: Stride = 32,
    text_column: TextColumn = "text",
    label_column: Annotated[Optional[str], typer.Option(help="Label column of a data file, if any.")] = None,
    id_column: IdColumn = "id",
    progress: Progress = True,
) -> None:
    """Explain documents with LIME, SHAP, gradients or occlusion; score faithfulness, agreement and stability.

    Every method explains what the model read: the words within its token limit (truncate), or
    each window, averaged like the prediction (window).
    """
    from .explainers import check_method
    from .explainers.study import explain_dataset, study_warnings, write_study

    _check_folder(out)
    for name in method:
        check_method(name)
    dataset, classifier = _load(
        model, data, device=device, precision=precision, backend=backend, batch_size=batch_size, token_budget=token_budget,
        long_text=long_text, stride=stride, text_column=text_column, label_column=label_column, id_column=id_column,
    )
    study = explain_dataset(classifier, dataset, methods=method, n=n, seed=seed, num_samples=num_samples, stability_seeds=stability_seeds, cache=cache, progress=None if progress else False)
    write_study(out, study)
    summary = study.summary
    if summary["reading"]["documents_cut"]:
        typer.echo(f"the model reads {summary['reading']['max_tokens']} tokens: {summary['reading']['documents_cut']} of {summary['n']} documents were cut, "
                   f"and only the {summary['reading']['words_read']} of {summary['reading']['words']} words it read are explained")
    for name, scores in summary["faithfulness"].items():
        ours, chance = scores["method"], scores["random"]
        typer.echo(f"{name:<22} comprehensiveness {ours['comprehensiveness']:.3f} (random {chance['comprehensiveness']:.3f})  "
                   f"sufficiency {ours['sufficiency']:.3f} (random {chance['sufficiency']:.3f})  AOPC {ours['aopc_comprehensiveness']:.3f} (random {chance['aopc_comprehensiveness']:.3f})")
    for name, checks in summary["diagnostics"].items():
        typer.echo(f"{name:<22} {checks['converged']} of {checks['documents']} documents within the {100 * checks['tolerance']:.0f} % completeness tolerance; "
                   f"steps up to {checks['steps_max']}, largest error {100 * (checks['relative_error_max'] or 0):.2f} %")
    for warning in study_warnings(summary):
        typer.echo(f"WARNING {warning}")
    typer.echo(f"wrote {out}/attributions.jsonl, faithfulness.json, index.html ({study.summary['n']} documents)")


@app.command()
def compare(
    models: Annotated[list[str], typer.Argument(help="Model folders or demo names, two or more (after --models).", show_default=False)],
    data: DataRef,
    out: Annotated[Path, typer.Option(help="Folder for compare.json, compare.html and predictions/.")],
    models_flag: Annotated[bool, typer.Option("--models", help="Marks the model references that follow: --models REF REF [REF ...].")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap intervals, the typo probe and the explanations.")] = 0,
    slice_column: Annotated[list[str], typer.Option(help="A column of the data file to slice metrics by; repeat for several.")] = [],  # noqa: B006
    probe_n: Annotated[Optional[int], typer.Option(help="Documents that get the counterfactual probes [default: all].")] = None,
    explain_n: Annotated[int, typer.Option(help="Documents whose explanations are compared across models (0: skip).")] = 5,
    explain_method: Annotated[str, typer.Option(help="Explanation method for that comparison.")] = "lime",
    num_samples: Annotated[int, typer.Option(help="Model evaluations per explained document.")] = 200,
    memory: Annotated[bool, typer.Option(help="Measure each model's peak memory in a fresh process.")] = True,
    device: Device = "auto",
    text_column: TextColumn = "text",
    label_column: LabelColumn = "label",
    id_column: IdColumn = "id",
    progress: Progress = True,
) -> None:
    """Compare models on one labeled dataset: metrics with intervals, McNemar's test, cost, slices, probes."""
    from .compare_models import compare as run_compare
    from .compare_models import verdict, write_comparison

    _check_folder(out)
    study = run_compare(
        models, data, seed=seed, slice_columns=slice_column, probe_n=probe_n, explain_n=explain_n, explain_method=explain_method, num_samples=num_samples,
        measure_memory=memory, device=device, text_column=text_column, label_column=label_column, id_column=id_column,
        progress=None if progress else False,
    )
    write_comparison(out, study)
    for ref in study.models:
        m, c = study.metrics[ref], study.cost[ref]
        ci = m.ci["accuracy"]
        interval = f" ({ci.low:.3f}-{ci.high:.3f})" if ci else ""
        memory_text = f", {c['peak_memory_mb']:.0f} MiB" if "peak_memory_mb" in c else ""
        typer.echo(f"{ref:<24} accuracy {m.accuracy:.4f}{interval}  macro-F1 {m.f1_macro:.4f}  {c['docs_per_s']:.1f} docs/s{memory_text}")
    for pair in study.pairwise:
        typer.echo(verdict(pair))
    typer.echo(f"wrote {out}/compare.json, compare.html, predictions/")


@app.command()
def bench(
    model: ModelRef = "demo:minilm-bbc",
    data: DataRef = "bbc-news:test",
    out: Annotated[Path, typer.Option(help="Folder for inference.json and explanations.json.")] = Path("benchmarks/results"),
    device: Device = "auto",
    repeats: Annotated[int, typer.Option(min=1, help="Timed repetitions per measurement (the median is kept).")] = 3,
    scale: Annotated[int, typer.Option(min=2, help="Corpus multiple for the memory and time growth check.")] = 10,
    compile: Annotated[bool, typer.Option("--compile/--no-compile", help="Also measure torch.compile.")] = True,
    inference: Annotated[bool, typer.Option(help="Run the inference benchmark.")] = True,
    explanations: Annotated[bool, typer.Option(help="Run the LIME/SHAP benchmark against their README usage.")] = True,
    documents: Annotated[int, typer.Option(min=1, help="Documents per regime in the explanation benchmark.")] = 3,
    num_samples: Annotated[int, typer.Option(min=2, help="LIME samples and SHAP max_evals in the explanation benchmark.")] = 500,
    quality_documents: Annotated[int, typer.Option(min=0, help="Documents on which every method's faithfulness, stability and cost are measured (0: skip).")] = 20,
) -> None:
    """Benchmark inference against the pipeline and the matmul peak, and LIME/SHAP against their README usage."""
    from .benchmark import format_table, run_inference_benchmark
    from .explainers.benchmark import format_explanation_table, run_explanation_benchmark

    _check_folder(out)
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
    from .parameters import parse_cli_parameters
    from .report import run_report

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
    from .report import write_index

    typer.echo(f"wrote {write_index(root)}")


@data_app.command("list")
def data_list() -> None:
    """List the built-in datasets with their split sizes."""
    from .data import list_datasets

    for row in list_datasets():
        typer.echo(f"{row['name']}: {row['documents']} documents (train {row['train']}, validation {row['validation']}, test {row['test']}) - {row['description']}")


@models_app.command("list")
def models_list() -> None:
    """List the demo models and whether each is built."""
    from .demos import list_demos

    for row in list_demos():
        state = "built" if row["built"] else "not built"
        typer.echo(f"{row['name']:<20} {state:<10} {row['description']}")


@models_app.command("path")
def models_path(name: Annotated[str, typer.Argument(help="Demo name, with or without 'demo:'.")]) -> None:
    """Print the folder of a built demo model."""
    from .models import DEMO_PREFIX, resolve_model_folder

    typer.echo(str(resolve_model_folder(name if name.startswith(DEMO_PREFIX) else DEMO_PREFIX + name)))


@models_app.command("build-demo")
def models_build_demo(
    names: Annotated[list[str] | None, typer.Argument(help="Demo names to build (default: all).")] = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if the cached model is current.")] = False,
) -> None:
    """Build the demo models offline (about 10 minutes on 2 CPU cores); current ones are kept."""
    from .demos import DEMOS, build_demo, is_current
    from .errors import ParameterError

    selected = [n.removeprefix("demo:") for n in names] if names else list(DEMOS)
    unknown = [n for n in selected if n not in DEMOS]
    if unknown:
        raise ParameterError(f"unknown demo model {unknown[0]!r}; demo models: {', '.join(sorted(DEMOS))}")
    for name in selected:
        if is_current(name) and not force:
            typer.echo(f"demo:{name} is up to date")
            continue
        info = build_demo(name, force=force)
        typer.echo(f"built demo:{name} in {info['build_seconds']:.0f} s (validation accuracy {info['validation_accuracy']:.4f})")


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    app(prog_name="workbench")


if __name__ == "__main__":
    sys.exit(main())
