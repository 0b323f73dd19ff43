"""Report notebooks under papermill: parameters checked, reports reproducible, HTML safe in Chromium.

Each notebook in notebooks/ runs through papermill in the real ``workbench`` kernel on the tiny
test model; the HTML that nbconvert writes is opened in headless Chromium, which must log no
console message, and a screenshot of each lands in test-artifacts/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from workbench.errors import ParameterError
from workbench.io import sha256_file
from workbench.report.parameters import check_parameters, declared_parameters, parse_cli_parameters
from workbench.report import run_report

from .browser import chromium_dom, chromium_screenshot
from .conftest import build_tiny_bert, write_csv
from .test_render import PAYLOADS, assert_inert

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
EVALUATE, EXPLAIN, COMPARE, EXPLORE = (NOTEBOOKS / f"{name}.ipynb" for name in ("evaluate", "explain", "compare", "explore"))
REQUIRED_PACKAGES = ("torch", "transformers", "shap", "lime", "scikit-learn", "papermill", "nbconvert", "numpy", "workbench")


def scratch_notebook(path: Path, parameters: str, *cells: str) -> Path:
    """A notebook with a ``parameters`` cell and further code cells, in the workbench kernel."""
    nb = new_notebook(cells=[new_code_cell(parameters), *(new_code_cell(c) for c in cells)])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "workbench", "display_name": "Python (workbench)", "language": "python"}
    nbformat.write(nb, path)
    return path


# --- parameters, no kernel -------------------------------------------------------------------

def test_declared_parameters_are_the_parameters_cell_with_typed_defaults():
    assert declared_parameters(EVALUATE) == {"model": "demo:minilm-bbc", "data": "bbc-news:test", "seed": 0}
    assert declared_parameters(EXPLAIN)["methods"] == ["lime", "shap", "integrated-gradients"]
    assert declared_parameters(EXPLAIN)["num_samples"] is None
    assert set(declared_parameters(COMPARE)) == {"models", "data", "seed"}
    assert set(declared_parameters(EXPLORE)) == {"model", "data", "seed", "projection"}


@pytest.mark.parametrize(("parameters", "message"), [
    ({"modle": "x"}, "unknown parameter 'modle' for evaluate.ipynb; valid names: model, data, seed"),
    ({"n = 0\nimport os\nx": 1}, "is not a Python identifier; valid names: model, data, seed"),
    ({"class": 1}, "is not a Python identifier"),
    ({"seed": "3"}, "parameter 'seed' must be of type int"),
    ({"seed": True}, "parameter 'seed' must be of type int"),
    ({"model": 5}, "parameter 'model' must be of type str"),
    ({"model": object()}, "give a string, number, bool, null, or a list or dict of those"),
])
def test_bad_parameters_are_one_line_errors(parameters, message):
    with pytest.raises(ParameterError, match=re.escape(message)) as caught:
        check_parameters(EVALUATE, parameters)
    assert "\n" not in str(caught.value)


def test_cli_values_keep_text_for_text_parameters_and_read_yaml_otherwise(tmp_path):
    params = tmp_path / "p.yaml"
    params.write_text("n: 3\nmethods: [lime]\nseed: 1\n", encoding="utf-8")
    pairs = [("model", "1234"), ("seed", "7"), ("num_samples", "null")]
    parsed = parse_cli_parameters(EXPLAIN, pairs, [params])
    assert parsed == {"n": 3, "methods": ["lime"], "seed": 7, "model": "1234", "num_samples": None}
    assert check_parameters(EXPLAIN, parsed)["data"] == "bbc-news:test"
    broken = tmp_path / "broken.yaml"
    broken.write_text("n: [1,\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="is not valid YAML"):
        parse_cli_parameters(EXPLAIN, [], [broken])
    with pytest.raises(ParameterError, match="must hold a mapping"):
        parse_cli_parameters(EXPLAIN, [], [_write(tmp_path / "list.yaml", "- 1\n")])
    hostile = parse_cli_parameters(EXPLAIN, [], [_write(tmp_path / "code.yaml", '"n = 0\\nimport os; os.system(\'id\')\\nx": 1\n')])
    with pytest.raises(ParameterError, match="is not a Python identifier"):
        check_parameters(EXPLAIN, hostile)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_notebook_without_a_parameters_cell_is_refused(tmp_path):
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    nb.metadata["kernelspec"] = {"name": "workbench", "display_name": "w", "language": "python"}
    nbformat.write(nb, tmp_path / "plain.ipynb")
    with pytest.raises(ParameterError, match="has no cell tagged 'parameters'"):
        declared_parameters(tmp_path / "plain.ipynb")
    with pytest.raises(ParameterError, match="notebook not found"):
        declared_parameters(tmp_path / "missing.ipynb")


# --- the command line: bad names and values run nothing ---------------------------------------

def test_code_in_a_name_and_an_unknown_name_run_nothing(tmp_path, cli, tiny_model_dir, tiny_csv):
    marker = tmp_path / "pwned"
    for name in (f'n = 0\nimport pathlib; pathlib.Path("{marker}").touch()\nx', "modle"):
        out = tmp_path / "out"
        result = cli("report", EVALUATE, "--out", out, "-p", "model", tiny_model_dir, "-p", "data", tiny_csv, "-p", name, "1")
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
        assert "valid names: model, data, seed" in result.stderr
        assert not out.exists() and not marker.exists()


def test_code_in_a_value_stays_a_string(tmp_path, cli):
    """papermill escapes string values; the notebook receives the text verbatim and runs none of it."""
    marker = tmp_path / "pwned"
    notebook = scratch_notebook(tmp_path / "echo.ipynb", 'title = "x"', 'open("title.txt", "w").write(title)')
    value = f'"; import pathlib; pathlib.Path("{marker}").touch(); "\n__import__("os").system("touch {marker}")'
    result = cli("report", notebook, "--out", tmp_path / "out", "-p", "title", value)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "title.txt").read_text(encoding="utf-8") == value
    assert not marker.exists()


@pytest.mark.parametrize(("name", "template", "message"), [
    ("model", 'x"; __import__("os").system("touch {marker}"); "', "model folder not found"),
    ("seed", '__import__("os").system("touch {marker}")', "parameter 'seed' must be of type int"),
])
def test_code_in_a_model_or_number_value_is_refused_before_anything_runs(tmp_path, cli, tiny_csv, name, template, message):
    marker = tmp_path / "pwned"
    result = cli("report", EVALUATE, "--out", tmp_path / "out", "-p", name, template.format(marker=marker), "-p", "data", tiny_csv)
    assert result.exit_code == 2 and message in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists() and not marker.exists()


def test_a_failing_notebook_keeps_its_partial_notebook_and_exits_1(tmp_path, cli):
    notebook = scratch_notebook(tmp_path / "fail.ipynb", "x = 1", "y = 2", "raise ValueError('boom: x was %d' % x)")
    out = tmp_path / "out"
    result = cli("report", notebook, "--out", out, "-p", "x", "3")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "ValueError: boom: x was 3" in result.stderr and "partly executed notebook" in result.stderr
    executed = nbformat.read(out / "fail.ipynb", as_version=4)
    assert any(o.get("ename") == "ValueError" for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "failed" and manifest["error"]["ename"] == "ValueError"
    assert not (out / "fail.html").exists() and not (out / "metrics.json").exists()


def test_a_cell_past_the_timeout_fails_the_report(tmp_path, cli):
    notebook = scratch_notebook(tmp_path / "slow.ipynb", "seconds = 60", "import time\ntime.sleep(seconds)")
    result = cli("report", notebook, "--out", tmp_path / "out", "--timeout", "2")
    assert result.exit_code == 1 and "CellTimeoutError" in result.stderr


# --- the report notebooks on the tiny model -----------------------------------------------------

@pytest.fixture(scope="module")
def tiny_reports(tmp_path_factory, tiny_sharp_dir, tiny_model_dir):
    """Every report notebook run on the tiny models, the evaluate and explain ones twice, into one reports folder."""
    from .conftest import TINY_ROWS

    root = tmp_path_factory.mktemp("reports")
    data = write_csv(tmp_path_factory.mktemp("data") / "tiny.csv", TINY_ROWS)
    home = tmp_path_factory.mktemp("home")
    explain = {"model": str(tiny_sharp_dir), "data": str(data), "methods": ["lime", "occlusion"], "n": 3, "num_samples": 30}
    with pytest.MonkeyPatch.context() as env:
        reports = {"evaluate": run_report(EVALUATE, root / "evaluate", {"model": str(tiny_sharp_dir), "data": str(data)}),
                   "evaluate-again": run_report(EVALUATE, root / "evaluate-again", {"model": str(tiny_sharp_dir), "data": str(data)})}
        for run in ("explain", "explain-again"):  # a fresh explanation cache each time: nothing is reused
            env.setenv("WORKBENCH_HOME", str(home / run))
            reports[run] = run_report(EXPLAIN, root / run, explain)
        reports["compare"] = run_report(COMPARE, root / "compare", {"models": [str(tiny_sharp_dir), str(tiny_model_dir)], "data": str(data)})
        reports["explore"] = run_report(EXPLORE, root / "explore", {"model": str(tiny_sharp_dir), "data": str(data)})
    return root, data, reports


def test_the_same_report_twice_gives_identical_metrics_and_attributions(tiny_reports):
    root, _, _ = tiny_reports
    for name, files in (("evaluate", ("metrics.json", "predictions.csv")), ("explain", ("metrics.json", "attributions.jsonl"))):
        for file in files:
            assert (root / name / file).read_bytes() == (root / f"{name}-again" / file).read_bytes(), file


def test_the_manifest_names_versions_hashes_seeds_and_parameters(tiny_reports, tiny_sharp_dir):
    root, data, reports = tiny_reports
    manifest = json.loads((root / "evaluate" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == reports["evaluate"].manifest
    assert manifest["status"] == "ok" and manifest["started"] <= manifest["finished"]
    assert manifest["parameters"] == {"model": str(tiny_sharp_dir.resolve()), "data": str(data.resolve()), "seed": 0}
    assert manifest["seeds"] == {"seed": 0}
    packages = manifest["environment"]["packages"]
    assert all(packages[name] for name in REQUIRED_PACKAGES)
    assert manifest["environment"]["python"] and manifest["environment"]["platform"] and manifest["environment"]["device"]["auto"] == "cpu"
    assert set(manifest["environment"]["git"]) == {"commit", "dirty"}
    [model] = manifest["inputs"]["models"]
    assert model["files"]["model.safetensors"] == sha256_file(tiny_sharp_dir / "model.safetensors")
    [dataset] = manifest["inputs"]["data"]
    assert dataset["file_sha256"] == sha256_file(data) and dataset["rows"] == 8
    assert manifest["headline"]["n"] == 8 and manifest["timings"]["docs_per_s"] > 0
    metrics = json.loads((root / "evaluate" / "metrics.json").read_text(encoding="utf-8"))
    assert "docs_per_s" not in json.dumps(metrics) and metrics["n"] == 8
    assert manifest["headline"]["accuracy"] == metrics["accuracy"]


def test_compare_report_keeps_timings_out_of_its_metrics(tiny_reports):
    root, _, _ = tiny_reports
    metrics = json.loads((root / "compare" / "metrics.json").read_text(encoding="utf-8"))
    manifest = json.loads((root / "compare" / "manifest.json").read_text(encoding="utf-8"))
    assert "cost" not in metrics and set(metrics["metrics"]) == set(metrics["models"])
    assert set(manifest["timings"]["cost"]) == set(metrics["models"])
    assert len(manifest["inputs"]["models"]) == 2 and len(metrics["pairwise"]) == 1


def test_the_explorer_notebook_runs_and_shows_the_app(tiny_reports):
    root, _, _ = tiny_reports
    executed = nbformat.read(root / "explore" / "explore.ipynb", as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)


@pytest.mark.parametrize("name", ["evaluate", "explain", "compare"])
def test_report_html_shows_tables_and_figures_and_no_code(tiny_reports, name):
    root, _, reports = tiny_reports
    page = reports[name].html
    markup = page.read_text(encoding="utf-8")
    assert "<script" not in markup and "http-equiv=\"Content-Security-Policy\"" in markup
    assert "import workbench" not in markup and "record_results" not in markup  # no input cells
    assert markup.count("<table") >= 2 and markup.count('src="data:image/png;base64,') >= 1
    shot, console = chromium_screenshot(page, f"report-{name}")
    assert console == [], console
    assert shot.stat().st_size > 10_000
    dom = chromium_dom(page)
    assert dom.count("<table") >= 2 and "<img" in dom


def test_the_evaluate_report_draws_the_reliability_diagram(tiny_reports):
    from .browser import in_chromium

    _, _, reports = tiny_reports
    [width] = in_chromium(reports["evaluate"].html, "img[alt='reliability diagram']", "e => e.naturalWidth")
    assert width > 300 and "Calibration" in reports["evaluate"].html.read_text(encoding="utf-8")


def test_the_explain_report_shows_each_text_as_written_through_the_sanitiser(tiny_reports):
    from .browser import in_chromium

    root, _, reports = tiny_reports
    lines = (root / "explain" / "attributions.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert in_chromium(reports["explain"].html, ".wb-words") == [record["text"] for record in records]


def test_the_index_links_every_report_and_loads_cleanly(tiny_reports, cli):
    root, _, _ = tiny_reports
    result = cli("index", root)
    assert result.exit_code == 0, result.output
    page = root / "index.html"
    markup = page.read_text(encoding="utf-8")
    for name in ("evaluate", "explain", "compare", "explore"):
        assert f'href="{name}/{name}.html"' in markup
    shot, console = chromium_screenshot(page, "report-index")
    assert console == [] and shot.exists()


def test_a_report_with_hostile_labels_and_ids_is_inert_in_chromium(tmp_path):
    """The evaluate report of a model whose labels and ids are hostile: two figures (confusion matrix, reliability),
    nothing active."""
    labels = {0: PAYLOADS[0], 1: PAYLOADS[1], 2: PAYLOADS[4]}
    model = build_tiny_bert(tmp_path / "model", initializer_range=1.0, id2label=labels, label2id={v: k for k, v in labels.items()})
    rows = [(f"{PAYLOADS[i % 5]}{i}", f"the bank said profit {'goal ' * i} {PAYLOADS[i % 5]}", labels[i % 3]) for i in range(6)]
    data = write_csv(tmp_path / "d.csv", rows, header="id,text,label")
    report = run_report(EVALUATE, tmp_path / "out", {"model": str(model), "data": str(data)})
    markup = report.html.read_text(encoding="utf-8")
    assert_inert(markup.split("<body", 1)[1], images=2)
    assert "&lt;script&gt;" in markup
    shot, console = chromium_screenshot(report.html, "report-hostile")
    assert console == [], console
    dom = chromium_dom(report.html)
    assert 'id="pwned"' not in dom and "<title>pwned</title>" not in dom
    assert_inert(dom.split("<body", 1)[1], images=2)


def test_the_explorer_explains_on_a_thread_inside_a_real_kernel(tmp_path, tiny_sharp_dir, tiny_csv):
    """The app in an ipykernel (as in JupyterLab): its widgets talk over comms and the thread reports back."""
    notebook = scratch_notebook(
        tmp_path / "app.ipynb", f"model = {str(tiny_sharp_dir)!r}\ndata = {str(tiny_csv)!r}",
        "import json\nimport workbench as wb\nfrom workbench.widgets import Explorer\n"
        "app = Explorer(wb.load_model(model), wb.load_dataset(data), num_samples=30)\napp",
        "app.search.value = 'goal'\napp.method.value = 'shap'\napp.explain_button.click()\napp.wait(120)\n"
        "json.dump({'status': app.status.value, 'options': len(app.document.options), 'words': list(app.attribution.words),"
        " 'kernel_thread': app.worker.name}, open('app.json', 'w'))",
    )
    run_report(notebook, tmp_path / "out")
    state = json.loads((tmp_path / "out" / "app.json").read_text(encoding="utf-8"))
    assert state == {"status": "done", "options": 2, "words": ["the", "team", "won", "the", "match", "with", "a", "late", "goal"], "kernel_thread": "workbench-explorer"}


def test_a_report_takes_the_model_and_dataset_a_notebook_holds(tmp_path, tiny_sharp_dir, tiny_csv):
    """A loaded model and a Dataset become their references for the report's kernel; one built in memory is refused."""
    import workbench as wb

    model, dataset = wb.load_model(str(tiny_sharp_dir)), wb.load_dataset(str(tiny_csv))
    report = run_report(EVALUATE, tmp_path / "out", {"model": model, "data": dataset})
    assert report.manifest["parameters"]["model"] == str(tiny_sharp_dir.resolve()) and report.manifest["parameters"]["data"] == str(tiny_csv.resolve())
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["n"] == len(dataset)
    memory = wb.Dataset(name="mine", ids=("a",), texts=("the bank",), labels=("business",), label_names=("business",))
    with pytest.raises(ParameterError, match="parameter 'data': dataset 'mine' was built in memory; write it to a .jsonl or .csv file"):
        run_report(EVALUATE, tmp_path / "again", {"model": model, "data": memory})
    assert not (tmp_path / "again").exists()


def test_the_report_sanitiser_keeps_shading_and_grey_and_drops_everything_active():
    """nh3 with the workbench's allowlist: tables, shaded and greyed words stay; scripts, handlers and other styles go."""
    from workbench.report.runner import clean_html

    kept = clean_html('<table><tr><th>a</th><td class="num">1</td></tr></table><span style="background-color:rgba(220,60,40,0.5)" title="+0.5">w</span>'
                      '<span class="wb-unseen" style="color:#999">unread</span>')
    assert "<th>a</th>" in kept and "background-color:rgba(220, 60, 40, 0.5)" in kept and 'style="color:#999"' in kept
    dropped = clean_html('<p style="position:fixed;color:red" onclick="x()">p</p><script>alert(1)</script><img src="https://x/y.png"><a href="javascript:alert(1)">a</a>')
    assert "script" not in dropped and "alert" not in dropped and "onclick" not in dropped and "position" not in dropped and "<img" not in dropped
    assert 'style="color:red"' in dropped
