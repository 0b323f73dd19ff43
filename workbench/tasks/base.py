"""What a task is to the verbs: the functions that predict, score, explain, compare and describe its models.

One :class:`Task` per task (``classification``, ``question-answering``, ``generation``) sits in
its own module of this package, wiring that task's studies, statistics and explainers; the verbs
(``workbench.verbs``) and the command line look a task up here and never branch on its name.
A new task is one more module with one more ``Task`` (docs/ARCHITECTURE.md, "Adding a task").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DataError, ParameterError
from ..records import ExplanationStudy


@dataclass(frozen=True)
class Task:
    """One task's entry in the registry.

    ``options`` are the keywords only this task's verbs take (``max_answer_len``, ``settings``);
    the other tasks refuse them in one line; ``records`` are the result types its verbs return. The callables share
    one shape per verb:

    * ``predict(model, dataset, *, seed, progress, **options)``: the task's predictions record;
    * ``score(predictions, *, seed)``: its metrics record, with intervals;
    * ``evaluate_into(out, model, dataset, *, seed, progress, resume, shard_rows, **options)``: what
      ``workbench evaluate`` writes, returning the metrics;
    * ``write_evaluation(out, predictions, metrics)``: the files of ``workbench evaluate``;
    * ``explain(model, data, *, method, seed, num_samples, cache, progress, **options)``: one record per
      text, question or generated output;
    * ``explain_dataset(model, dataset, *, seed, methods, n, num_samples, stability_seeds, cache, progress,
      **options)``;
    * ``score_faithfulness(model, data, attributions, *, seed)``: faithfulness against random words;
    * ``compare(models, dataset, *, seed, options, progress, **options)`` and ``write_comparison(out, comparison)``;
    * ``describe_*``: the lines the command line prints for each result.
    """

    name: str
    model_kind: str  # what its models are called in messages: "classifier", "question-answering model", "generator"
    options: tuple[str, ...]
    notebook: str  # its default report notebook under notebooks/
    default_method: str  # what wb.explain uses when no method is named
    records: tuple[
        type, ...
    ]  # its result records (predictions, metrics, studies, comparison), by which a writer finds the task
    predict: Callable[..., Any]
    score: Callable[..., Any]
    evaluate_into: Callable[..., Any]
    write_evaluation: Callable[..., Any]
    explain: Callable[..., Any]
    explain_dataset: Callable[..., Any]
    write_study: Callable[..., Any]
    score_faithfulness: Callable[..., Any]
    compare: Callable[..., Any]
    write_comparison: Callable[..., Any]
    # ``workbench predict``: (model, source, path, *, engine, progress, resume, shard_rows) -> rows; None: not streamed
    stream: Callable[..., Any] | None
    describe_metrics: Callable[[Any, Path], list[str]]
    describe_study: Callable[[Any, Path], list[str]]
    describe_comparison: Callable[[Any, Path], list[str]]


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
