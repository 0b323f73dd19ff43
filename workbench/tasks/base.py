"""What a task is to the verbs: the functions that predict, score, explain, compare and describe its models.

One :class:`Task` per task (``classification``, ``question-answering``, ``generation``) sits in
its own module of this package, wiring that task's studies, statistics and explainers; the verbs
(``workbench.verbs``) and the command line look a task up here and never branch on its name.
A new task is one more module with one more ``Task`` (docs/ARCHITECTURE.md, "Adding a task").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..datasets.loading import load_dataset
from ..errors import DataError, ParameterError
from ..models.ray_engine import RayModel
from ..records import ExplanationStudy
from ..records.audit import Audit
from ..records.task import check_task
from ..render.audits import audit_sections
from ..render.html import Section, fragment_html
from ..shards import ShardedOutput, write_sharded
from ..studies.audits import write_audit


@dataclass(frozen=True)
class Shown:
    """How one kind of result writes and shows itself (a ``records.base.Presenter``).

    ``writer(out, result)`` is the study's writer of the command line's files; ``sections(result)`` the report's
    sections for it, which ``_repr_html_`` joins into one fragment through the same escaping templates.
    """

    writer: Callable[[Path, Any], dict[str, Path]]
    sections: Callable[[Any], list[Section]]

    def write(self, result: Any, out: Path) -> dict[str, Path]:
        """The files of ``result`` in the folder ``out``."""
        return self.writer(out, result)

    def html(self, result: Any) -> str:
        """``result``'s sections as one HTML fragment."""
        return fragment_html(self.sections(result))


@dataclass(frozen=True)
class Task:
    """One task's entry in the registry.

    ``options`` are the keywords only this task's verbs take (``max_answer_len``, ``settings``);
    the other tasks refuse them in one line; ``results`` maps each result type its verbs return to how that result
    writes and shows itself (``Result.write``, ``_repr_html_``). The callables share one shape per verb:

    * ``predict(model, dataset, *, seed, progress, **options)``: the task's predictions record;
    * ``score(predictions, *, seed)``: its metrics record, with intervals;
    * ``evaluate_into(out, model, dataset, *, seed, progress, resume, shard_rows, **options)``: what
      ``workbench evaluate`` writes, returning the metrics;
    * ``write_evaluation(out, predictions, metrics)``: the files of ``workbench evaluate`` (its predictions file joins
      each item's scores to the predictions, so it takes both);
    * ``explain(model, data, *, method, seed, num_samples, cache, progress, **options)``: one record per
      text, question or generated output;
    * ``explain_dataset(model, dataset, *, seed, methods, n, num_samples, stability_seeds, cache, progress,
      **options)``;
    * ``score_faithfulness(model, data, attributions, *, seed)``: faithfulness against random words;
    * ``compare(models, dataset, *, seed, options, progress, **options)``;
    * ``describe_*``: the lines the command line prints for each result;
    * ``losses``, ``outputs``, ``counterfactual``: the audits' parts (below).
    """

    name: str
    model_kind: str  # what its models are called in messages: "classifier", "question-answering model", "generator"
    options: tuple[str, ...]
    notebook: str  # its default report notebook under notebooks/
    default_method: str  # what wb.explain uses when no method is named
    results: Mapping[type, Shown]  # predictions, metrics, study, comparison: how each writes and shows itself
    predict: Callable[..., Any]
    score: Callable[..., Any]
    evaluate_into: Callable[..., Any]
    write_evaluation: Callable[..., Any]
    explain: Callable[..., Any]
    explain_dataset: Callable[..., Any]
    score_faithfulness: Callable[..., Any]
    compare: Callable[..., Any]
    # ``workbench predict``: (model, data, path, *, columns, seed, engine, progress, resume, shard_rows, **options)
    # -> rows, written in shards in one of ``predict_formats`` (file suffixes)
    stream: Callable[..., int]
    predict_formats: tuple[str, ...]
    describe_metrics: Callable[[Any, Path], list[str]]
    describe_study: Callable[[Any, Path], list[str]]
    describe_comparison: Callable[[Any, Path], list[str]]
    # ``workbench audit`` (``studies.audits``); None where an audit does not apply to the task, which the audit says:
    # ``losses(model, dataset, *, progress, **options)``: each example's loss, what membership inference attacks;
    # ``outputs(model, dataset, *, seed, progress, **options)``: the texts a generator writes, checked for memorization;
    # ``counterfactual(model, dataset, swaps, *, word_list, seed, progress, **options)``: its CounterfactualBias
    losses: Callable[..., Any] | None = None
    outputs: Callable[..., list[str]] | None = None
    counterfactual: Callable[..., Any] | None = None
    gives: str = "text"  # what its models give, which says why memorization does not apply without ``outputs``


#: How an audit writes and shows itself: one record for every task, so every task's ``results`` holds this entry.
AUDITED: dict[type, Shown] = {Audit: Shown(write_audit, audit_sections)}


def aligned_rows(dataset: Any, records: Sequence[Any]) -> list[int]:
    """The rows of ``dataset`` that ``records`` explain, by id, in the records' order; a missing id is one line."""
    rows = {doc_id: i for i, doc_id in enumerate(dataset.ids)}
    missing = [r.id for r in records if r.id not in rows]
    if missing:
        raise DataError(
            f"{dataset.name} has no document {missing[0]!r}, which an explanation names; "
            "give the dataset the explanations were made from"
        )
    return [rows[r.id] for r in records]


def describe_explanation_study(study: ExplanationStudy, out: Path) -> list[str]:
    """The lines ``workbench explain`` prints for a study of texts or answers.

    What the model read, each method's faithfulness beside random words', the gradient checks and the warnings.
    """
    reading, lines = study.reading, []
    if reading.documents_cut:
        lines.append(
            f"the model reads {reading.max_tokens} tokens: {reading.documents_cut} of {len(study.ids)} documents "
            f"were cut, and only the {reading.words_read} of {reading.words} words it read are explained"
        )
    for name, scores in study.faithfulness.items():
        ours, chance = scores.method, scores.random
        lines.append(
            f"{name:<22} comprehensiveness {ours.comprehensiveness:.3f} (random {chance.comprehensiveness:.3f})  "
            f"sufficiency {ours.sufficiency:.3f} (random {chance.sufficiency:.3f})  "
            f"AOPC {ours.aopc_comprehensiveness:.3f} (random {chance.aopc_comprehensiveness:.3f})"
        )
    for name, checks in study.diagnostics.items():
        lines.append(
            f"{name:<22} {checks.converged} of {checks.documents} documents within {checks.tolerance_text} "
            f"completeness tolerance; steps up to {checks.steps_max}, "
            f"largest error {100 * (checks.relative_error_max or 0):.2f} %"
        )
    lines += [f"WARNING {warning}" for warning in study.warnings()]
    return lines + [f"wrote {out}/attributions.jsonl, faithfulness.json, index.html ({len(study.ids)} documents)"]


def evaluate_whole(
    task: str, predict: Callable[..., Any], score: Callable[..., Any], write: Callable[..., Any]
) -> Callable[..., Any]:
    """``evaluate_into`` for a task whose predictions are written whole (not in shards): predict, score, write."""

    def evaluate_into(
        out: Path, model: Any, dataset: Any, *, seed: int = 0, progress: bool | None = None, resume: bool = False,
        shard_rows: int | None = None, **options: Any,
    ) -> Any:
        if resume:
            raise ParameterError(
                f"--resume applies to classifiers, whose predictions are written in shards; {model.ref} is a "
                f"{task} model: leave out --resume"
            )
        predictions = predict(model, dataset, seed=seed, progress=progress, **options)
        metrics = score(predictions, seed=seed)
        write(out, predictions, metrics)
        return metrics

    return evaluate_into


def stream_whole(
    predict: Callable[..., Any], rows: Callable[[Any], Iterable[dict[str, Any]]],
    defaults: Callable[[Any], dict[str, Any]] = lambda dataset: {},
) -> Callable[..., int]:
    """``workbench predict`` for a task whose data loads whole (questions, sources): the task's predictions of each
    shard of rows, written as ``rows(predictions)`` through ``shards.write_sharded``, so a killed run finishes with
    ``resume``. ``defaults(dataset)`` fixes the options that a shard would otherwise take from its own rows (whether
    unanswerable questions compete), so every shard is predicted as the whole dataset would be."""

    def stream(
        model: Any, data: str, path: Path, *, columns: Mapping[str, Any], seed: int = 0, engine: Any = None,
        progress: bool | None = None, resume: bool = False, shard_rows: int, **options: Any,
    ) -> int:
        import pandas as pd

        dataset = load_dataset(data, **columns)
        check_task(model, dataset)
        options = {**defaults(dataset), **options}
        runner = RayModel(model, engine) if engine is not None else model
        settings = {k: v.to_dict() if hasattr(v, "to_dict") else v for k, v in sorted(options.items())}
        run = {"model": model.fingerprint, "data": dataset.sha256, "seed": seed, "options": settings}

        def frames(shards: ShardedOutput) -> Iterator[tuple[int, Any]]:
            for index in range(-(-len(dataset) // shard_rows)):
                if not shards.is_done(index):
                    part = dataset[index * shard_rows : (index + 1) * shard_rows]
                    yield index, pd.DataFrame(list(rows(predict(runner, part, seed=seed, progress=False, **options))))

        return write_sharded(
            path, run, frames, shard_rows=shard_rows, resume=resume, total=len(dataset), progress=progress
        )

    return stream


def describe_pairs(
    comparison: Any, rates: Mapping[str, float], unit: str, scores: Callable[[Any], str], out: Path
) -> list[str]:
    """The lines ``workbench compare`` prints: each model's scores and speed, each pair's verdict, the files."""
    lines = [f"{ref:<24} {scores(metrics)}  {rates[ref]:.1f} {unit}/s" for ref, metrics in comparison.metrics.items()]
    return (
        lines
        + [pair.verdict() for pair in comparison.pairwise]
        + [f"wrote {out}/compare.json, compare.html, predictions/"]
    )
