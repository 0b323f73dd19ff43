"""The layout holds: no import cycle inside the package, one LoadOptions, verbs that take what a notebook holds."""

from __future__ import annotations

import dataclasses
import json

import pytest

import workbench as wb
from workbench.errors import ParameterError
from workbench.models import LoadOptions, load_model
from workbench.studies.comparison import compare_predictions

from .conftest import TINY_ROWS, write_csv


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components with more than one module (the import cycles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(component)

    for node in graph:
        if node not in index:
            visit(node)
    return cycles


def test_no_import_cycle_inside_the_package():
    """Every import, at the top of a module or inside a function, counted by grimp (import-linter's graph)."""
    import grimp

    graph = grimp.build_graph("workbench", exclude_type_checking_imports=True)
    edges = {m: {i for i in graph.find_modules_directly_imported_by(m) if i.startswith("workbench")} for m in graph.modules}
    # a package's __init__ re-exporting its modules is not a cycle of behaviour; the modules themselves must not loop
    modules_only = {m: {i for i in deps if not graph.find_children(i)} for m, deps in edges.items() if not graph.find_children(m)}
    assert strongly_connected(modules_only) == []
    assert edges["workbench.io"] == set() and edges["workbench.errors"] == set()  # the home folder lives at the bottom now


def test_load_options_refuse_unknown_names_before_loading(tiny_model_dir):
    with pytest.raises(ParameterError, match="unknown precision 'fp8'; use one of: auto, fp32, bf16, fp16, int8"):
        LoadOptions(precision="fp8")
    with pytest.raises(ParameterError, match="unknown long-text mode 'slide'"):
        load_model(str(tiny_model_dir), long_text="slide")
    with pytest.raises(TypeError, match="unknown option 'precison'; options: device, precision, backend"):
        load_model(str(tiny_model_dir), precison="fp32")
    options = LoadOptions(batch_size=4, token_budget=64)
    model = load_model(str(tiny_model_dir), options)
    # the options it was loaded with, the backend ``auto`` chose among them (what a Ray actor loads)
    assert model.load_options == dataclasses.replace(options, backend=model.backend) and options.backend == "auto"
    assert model.options.token_budget == 64 and model.options.max_batch_size == 4
    assert load_model(str(tiny_model_dir), options, batch_size=2).options.max_batch_size == 2


@pytest.mark.parametrize("command", ["evaluate", "predict", "explain", "compare"])
def test_the_cli_choices_come_from_the_registries(cli, tmp_path, command):
    """Every command that loads a model refuses a name outside the registry in one line, listing the registry, before any work."""
    from workbench.explainers import METHODS
    from workbench.models.options import BACKENDS, LONG_TEXT_MODES, PRECISIONS

    options = {"--precision": PRECISIONS, "--backend": BACKENDS, "--long-text": LONG_TEXT_MODES}
    if command == "explain":
        options["--method"] = tuple(METHODS)
    models = ["--models", "a", "b"] if command == "compare" else ["--model", "missing"]
    for option, names in options.items():
        result = cli(command, *models, "--data", "missing.csv", "--out", tmp_path / "out", option, "nope")
        listed = ", ".join(f"'{n}'" for n in names)
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
        assert f"Invalid value for '{option}': 'nope' is not one of {listed}; see `" in result.stderr
        assert not (tmp_path / "out").exists()


def test_every_verb_takes_references_or_loaded_records(tmp_path, tiny_model_dir, tiny_sharp_dir):
    """The newcomer's notebook: models as references or loaded, data from load_dataset."""
    data = write_csv(tmp_path / "d.csv", TINY_ROWS)
    ds = wb.load_dataset(str(data))
    sharp = wb.load_model(str(tiny_sharp_dir))
    comparison = wb.compare([sharp, str(tiny_model_dir)], ds, explain_n=2, num_samples=20, measure_memory=False, progress=False)
    assert comparison.models == (str(tiny_sharp_dir), str(tiny_model_dir)) and comparison.pairwise[0].n == len(ds)
    pure = compare_predictions([comparison.predictions[m] for m in comparison.models], ds.texts)
    assert [p.to_dict() for p in pure.pairwise] == [p.to_dict() for p in comparison.pairwise]
    assert {m: x.to_dict() for m, x in pure.metrics.items()} == {m: x.to_dict() for m, x in comparison.metrics.items()}
    assert pure.cost == {} and pure.probes == {} and set(comparison.probes) == set(comparison.models)
    assert wb.evaluate(str(tiny_sharp_dir), str(data)).to_dict() == wb.evaluate(sharp, ds).to_dict()
    study = wb.explain_dataset(str(tiny_sharp_dir), str(data), methods=["occlusion"], n=2, cache=False)
    assert study.ids == wb.explain_dataset(sharp, ds, methods=["occlusion"], n=2, cache=False).ids
    assert wb.explain(str(tiny_sharp_dir), ["the bank"], method="occlusion", cache=False)[0].words == ("the", "bank")


@pytest.mark.parametrize("call, message", [
    (lambda ds, m: wb.compare(["a", "b"], ["text one", "text two"]), "data must be a dataset reference"),
    (lambda ds, m: wb.compare("demo:minilm-bbc", ds), "models must be a list of two or more"),
    (lambda ds, m: wb.predict(42, ds), "model must be a model reference"),
    (lambda ds, m: wb.explain_dataset(m, {"text": "x"}), "data must be a dataset reference"),
    (lambda ds, m: wb.explain(m, "one text"), "wrap a single text in a list"),
    (lambda ds, m: wb.load_model(m), "load_model\\(\\) takes a model folder or demo name"),
    (lambda ds, m: compare_predictions(["p1", "p2"], ds.texts), "takes a sequence of workbench.Predictions"),
])
def test_a_wrong_type_is_a_one_line_type_error(tmp_path, tiny_sharp_dir, call, message):
    ds = wb.load_dataset(str(write_csv(tmp_path / "d.csv", TINY_ROWS)))
    with pytest.raises(TypeError, match=message) as caught:
        call(ds, wb.load_model(str(tiny_sharp_dir)))
    assert "\n" not in str(caught.value)


def test_evaluate_writes_its_provenance(cli, tmp_path, tiny_model_dir, tiny_csv):
    result = cli("evaluate", "--model", tiny_model_dir, "--data", tiny_csv, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    provenance = json.loads((tmp_path / "out" / "metrics.json").read_text())["provenance"]
    assert provenance["model_fingerprint"] == load_model(str(tiny_model_dir)).fingerprint
    assert provenance["data_sha256"] == wb.load_dataset(str(tiny_csv)).sha256 and provenance["data"] == str(tiny_csv)
    assert provenance["packages"]["workbench"] and provenance["packages"]["torch"] and provenance["packages"]["scikit-learn"]


def test_the_explanation_cache_keeps_to_its_cap_and_drops_the_least_recently_used(tmp_path, cli, monkeypatch):
    import os

    from workbench.explainers.cache import ExplanationCache
    from workbench.records import Attribution

    record = Attribution("i", "m", "lime", "t", " ".join(["w"] * 50), ("w",) * 50, (0.5,) * 50, 0.9, 0.1, {})
    cache = ExplanationCache(tmp_path / "c", max_bytes=10_000)
    keys = [f"{i:02d}" + "0" * 62 for i in range(12)]
    for n, key in enumerate(keys):
        cache.put(key, record)
        os.utime(cache._path(key), ns=(n * 10**9, n * 10**9))  # a distinct age per entry
        if n == 1:
            assert cache.get(keys[0]) == record
            os.utime(cache._path(keys[0]), ns=(5 * 10**9, 5 * 10**9))  # used after the second entry was written
    info = cache.info()
    assert info["bytes"] <= 10_000 and 0 < info["entries"] < len(keys)
    assert cache.get(keys[-1]) == record and cache.get(keys[1]) is None  # the newest kept, the least recently used gone
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WORKBENCH_CACHE_MAX_MB", "1")
    shown = cli("cache", "info")
    assert shown.exit_code == 0 and "0 explanations, 0.0 MiB of 1 MiB" in shown.stdout
    ExplanationCache(tmp_path / "home" / "explanations").put(keys[0], record)
    assert "1 explanations" in cli("cache", "info").stdout
    cleared = cli("cache", "clear")
    assert cleared.exit_code == 0 and "deleted 1 explanations" in cleared.stdout and "0 explanations" in cli("cache", "info").stdout
    monkeypatch.setenv("WORKBENCH_CACHE_MAX_MB", "lots")
    bad = cli("cache", "info")
    assert bad.exit_code == 2 and "WORKBENCH_CACHE_MAX_MB='lots' is not a number" in bad.stderr
