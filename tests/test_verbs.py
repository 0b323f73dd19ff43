"""One set of verbs for every task, through the top-level names only, on the tiny models.

For each task (a classifier, a question-answering model, a generator) every verb runs with a model and data of
that task and returns the task's record; the writers write exactly what the command line writes; a model given
data of another task, or a keyword of another task, is one line before any model runs; and no branch on a task's
name is left in the command line or the studies (they look the task up in ``workbench.tasks``).
"""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import pytest

import workbench as wb

from .conftest import TINY_ROWS, invoke, write_csv
from .test_generation import generation_file
from .test_question_answering import qa_rows, squad_file

PACKAGE = Path(wb.__file__).parent

# per task: the result records of predict, evaluate, explain (one per item), explain_dataset, compare
RECORDS = {
    "classification": (wb.Predictions, wb.Metrics, wb.Attribution, wb.ExplanationStudy, wb.Comparison),
    "question-answering": (wb.QAPredictions, wb.QAMetrics, wb.Attribution, wb.ExplanationStudy, wb.QAComparison),
    "generation": (
        wb.GenerationPredictions,
        wb.GenerationMetrics,
        wb.TokenAttribution,
        wb.TokenStudy,
        wb.GenerationComparison,
    ),
}


@pytest.fixture
def task_inputs(request, tmp_path, tiny_model_dir, tiny_sharp_dir, tiny_generators):
    """(model, second model, data reference, task keywords for compare) of the task named by the test's parameter."""
    task = request.param
    if task == "classification":
        return (
            str(tiny_sharp_dir),
            str(tiny_model_dir),
            str(write_csv(tmp_path / "d.csv", TINY_ROWS)),
            {"explain_n": 2, "measure_memory": False},
        )
    if task == "question-answering":
        from workbench.models.lexical_qa import save_lexical_qa

        save_lexical_qa(tmp_path / "lexical")
        return (
            str(request.getfixturevalue("tiny_qa_dir")),
            str(tmp_path / "lexical"),
            str(squad_file(tmp_path / "q.json", qa_rows())),
            {},
        )
    short = {"settings": wb.GenerationSettings(max_new_tokens=8)}  # the tiny GPT-2 reads 64 positions
    return str(tiny_generators["t5"]), str(tiny_generators["gpt2"]), str(generation_file(tmp_path / "g.jsonl")), short


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def shown(result, folder: Path) -> dict[str, bytes]:
    """Check a result's to_dict (JSON), write (its files, by name) and _repr_html_ (tables, escaped); its files."""
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert isinstance(data, dict) and data
    paths = result.write(folder)
    assert paths and all(path.exists() and folder in path.parents for path in paths.values())
    page = result._repr_html_()
    assert "<table>" in page and "<script" not in page
    if hasattr(result, "model"):  # a model's name reaches the page escaped
        hostile = dataclasses.replace(result, model="<script>alert(1)</script>")._repr_html_()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile and "<script" not in hostile
    return files_of(folder)


@pytest.mark.parametrize("task_inputs", list(RECORDS), indirect=True)
def test_every_verb_runs_on_every_task_and_its_results_write_and_show_what_the_command_line_does(task_inputs, tmp_path):
    model_ref, other_ref, data, compare_options = task_inputs
    model, dataset = wb.load_model(model_ref), wb.load_dataset(data)
    predictions_type, metrics_type, attribution_type, study_type, comparison_type = RECORDS[dataset.task]

    protocol = {"classification": wb.Classifier, "question-answering": wb.Answerer, "generation": wb.Generator}
    others = tuple(set(protocol.values()) - {protocol[dataset.task]})
    assert isinstance(model, protocol[dataset.task]) and not isinstance(model, others)
    predictions = wb.predict(model, dataset, seed=0, progress=False)
    metrics = wb.compute_metrics(predictions, seed=0)
    assert isinstance(predictions, predictions_type) and isinstance(metrics, metrics_type)
    assert wb.evaluate(model_ref, data, seed=0, progress=False).to_dict() == metrics.to_dict()
    wb.write_evaluation(tmp_path / "python", predictions, metrics)
    result = invoke("evaluate", "--model", model_ref, "--data", data, "--out", tmp_path / "cli", "--no-progress")
    assert result.exit_code == 0, result.output
    evaluated = files_of(tmp_path / "cli")
    assert files_of(tmp_path / "python") == evaluated
    # predictions write the file of `workbench predict`, and metrics the rest of what `workbench evaluate` writes
    (name,) = shown(predictions, tmp_path / "predictions")
    result = invoke("predict", "--model", model_ref, "--data", data, "--out", tmp_path / name, "--no-progress",
                    "--label-column", "label")
    assert result.exit_code == 0, result.output
    assert (tmp_path / name).read_bytes() == (tmp_path / "predictions" / name).read_bytes()
    written = shown(metrics, tmp_path / "metrics")
    assert "metrics.json" in written and written == {k: evaluated[k] for k in written}

    records = wb.explain(model, dataset, method="occlusion", seed=0, progress=False)
    assert len(records) == len(dataset) and all(isinstance(r, attribution_type) for r in records)
    faithfulness = wb.score_faithfulness(model, dataset, records[:2], seed=0)
    assert json.loads(json.dumps(faithfulness.to_dict()))

    study = wb.explain_dataset(model, dataset, methods=["occlusion"], n=2, seed=0, progress=False)
    assert isinstance(study, study_type) and len(study.ids) == 2
    written = shown(study, tmp_path / "study")
    result = invoke("explain", "--model", model_ref, "--data", data, "--out", tmp_path / "cli-explain", "--method",
                    "occlusion", "--n", "2", "--no-progress")
    assert result.exit_code == 0, result.output
    explained = files_of(tmp_path / "cli-explain")
    attributions = next(name for name in written if name.endswith("attributions.jsonl"))
    assert set(written) == set(explained) and written[attributions] == explained[attributions]

    comparison = wb.compare([model, other_ref], data, seed=0, progress=False, **compare_options)
    assert isinstance(comparison, comparison_type) and len(comparison.pairwise) == 1
    written = shown(comparison, tmp_path / "compare")
    assert json.loads(written["compare.json"])["models"] == [model_ref, other_ref]
    assert any(name.startswith("predictions/") for name in written) and "compare.html" in written


def test_predict_on_a_generator_killed_mid_run_resumes_to_the_same_bytes(tmp_path, tiny_generators):
    """`workbench predict` on a generator writes its outputs in shards: SIGKILLed once two are done and run again with
    --resume, it writes the uninterrupted run's bytes without redoing the shards done; a wrong suffix is one line."""
    import subprocess
    import sys

    from .test_generation import GENERATION_ROWS
    from .test_shards import kill_mid_run

    rows = [{**row, "id": f"d{i}"} for i in range(240) for row in GENERATION_ROWS[i % len(GENERATION_ROWS):][:1]]
    data = generation_file(tmp_path / "many.jsonl", rows)
    command = [sys.executable, "-m", "workbench.cli", "predict", "--model", str(tiny_generators["t5"]),
               "--data", str(data), "--max-new-tokens", "8", "--shard-rows", "8", "--no-progress", "--out"]
    whole = subprocess.run([*command, str(tmp_path / "whole.jsonl")], capture_output=True, text=True)
    assert whole.returncode == 0, whole.stderr
    lines = (tmp_path / "whole.jsonl").read_text().splitlines()
    assert len(lines) == 240 and set(json.loads(lines[0])) == {"id", "prediction", "reference", "references"}
    out = tmp_path / "killed.jsonl"
    done = kill_mid_run([*command, str(out)], out)
    resumed = subprocess.run([*command, str(out), "--resume"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert out.read_bytes() == (tmp_path / "whole.jsonl").read_bytes()
    skipped = [line for line in resumed.stderr.splitlines() if "was done earlier; skipped" in line]
    assert [int(line.split()[2]) for line in skipped] == done
    wrong = subprocess.run([*command, str(tmp_path / "outputs.csv")], capture_output=True, text=True)
    assert wrong.returncode == 2
    assert wrong.stderr.strip().endswith("must be a .jsonl or .parquet file path for a generator")


def test_data_of_another_task_is_one_line_before_any_model_runs(tmp_path, tiny_sharp_dir, tiny_generators):
    headlines = str(generation_file(tmp_path / "g.jsonl"))
    for verb in (wb.predict, wb.evaluate, wb.explain_dataset):
        with pytest.raises(
            wb.DataError, match="is a classification model but .* holds sources with reference outputs"
        ) as caught:
            verb(str(tiny_sharp_dir), headlines)
        assert "\n" not in str(caught.value)
    with pytest.raises(wb.DataError, match="is a generation model but .* holds texts with labels"):
        wb.run_report(str(tiny_generators["t5"]), str(write_csv(tmp_path / "d.csv", TINY_ROWS)), tmp_path / "report")
    assert not (tmp_path / "report").exists()


def test_a_keyword_of_another_task_is_refused_in_one_line(tmp_path, tiny_sharp_dir, tiny_generators):
    data = str(write_csv(tmp_path / "d.csv", TINY_ROWS))
    with pytest.raises(
        wb.ParameterError, match="max_answer_len applies to question-answering models, not to a classifier; leave"
    ):
        wb.evaluate(str(tiny_sharp_dir), data, max_answer_len=5)
    with pytest.raises(wb.ParameterError, match="settings applies to generators, not to a classifier"):
        wb.compare([str(tiny_sharp_dir), str(tiny_sharp_dir)], data, settings=wb.GenerationSettings())
    with pytest.raises(
        wb.ParameterError,
        match="stability_seeds applies to classifiers and question-answering models, not to a generator",
    ):
        wb.explain_dataset(str(tiny_generators["t5"]), str(generation_file(tmp_path / "g.jsonl")), stability_seeds=2)
    result = invoke(
        "evaluate", "--model", tiny_sharp_dir, "--data", data, "--out", tmp_path / "out", "--num-beams", "2"
    )
    assert result.exit_code == 2 and result.stderr.strip().count("\n") == 0
    assert "settings applies to generators, not to a classifier" in result.stderr and not (tmp_path / "out").exists()


def task_branches(path: Path) -> list[str]:
    """``x.task == "..."`` and ``task != "..."`` comparisons (and ``in`` tests of task names) in a module's code."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            named = any(
                (isinstance(s, ast.Attribute) and s.attr == "task") or (isinstance(s, ast.Name) and "task" in s.id)
                for s in sides
            )
            if named and any(isinstance(s, (ast.Constant, ast.Tuple, ast.List, ast.Set)) for s in sides):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def test_no_branch_on_a_task_name_in_the_command_line_or_the_studies():
    modules = [PACKAGE / "cli.py", PACKAGE / "verbs.py", *sorted((PACKAGE / "studies").glob("*.py"))]
    assert [branch for path in modules for branch in task_branches(path)] == []
    assert task_branches(PACKAGE / "models" / "loader.py")  # the check finds the branches that choose a model class


def test_the_top_level_is_the_verbs_the_records_and_the_errors():
    """A small surface: the verbs, the records they return, the loaders, the errors, the Explorer and the redaction
    switch; the per-task family names (predict_qa, compute_qa_metrics, ...) are not in it."""
    assert len(wb.__all__) <= 45
    assert not [
        name
        for name in wb.__all__
        if any(part in name for part in ("answer", "qa_", "generation_", "token_", "_generations"))
    ]


def test_run_report_runs_the_default_notebook_of_the_model_s_task(tmp_path, tiny_qa_dir):  # noqa: F811
    """On a cut dataset, which the notebook's kernel loads again from its name."""
    first = wb.load_dataset(str(squad_file(tmp_path / "q.json", qa_rows())))[:3]
    report = wb.run_report(str(tiny_qa_dir), first, tmp_path / "report", seed=1,
                           parameters={"baseline": "", "explain_n": 0})
    assert report.html.name == "qa.html" and report.manifest["parameters"]["seed"] == 1
    parameters = report.manifest["parameters"]
    assert parameters["model"] == str(tiny_qa_dir) and parameters["data"] == first.name
    lines = (tmp_path / "report" / "predictions.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == list(first.ids)


def test_a_notebook_cell_that_ends_with_a_result_shows_its_tables_in_a_real_kernel(tmp_path, tiny_sharp_dir):
    """The kernel's display of a result is its _repr_html_: the report's tables, escaped, not the dataclass repr."""
    import nbformat
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    data = write_csv(tmp_path / "d.csv", TINY_ROWS)
    nb = new_notebook(cells=[new_code_cell(
        f"import workbench as wb\nwb.evaluate({str(tiny_sharp_dir)!r}, {str(data)!r}, progress=False)"
    )])
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    (output,) = [o for o in nb.cells[0].outputs if o.output_type == "execute_result"]
    page = output.data["text/html"]
    assert "<table>" in page and "macro F1" in page and 'alt="confusion matrix" src="data:image/png;base64,' in page
    assert output.data["text/plain"].startswith("Metrics(")
    nbformat.validate(nb)
