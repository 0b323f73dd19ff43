"""Regression fixtures of the demo commands: what they run, where the fixtures came from, and how two outputs compare.

``python -m tests.regression DIR`` runs every command of ``RUNS`` into ``DIR``, keeps the data files each wrote
(JSON, JSON lines, CSV; pages and figures are checked elsewhere) and writes ``source.json`` beside them: the processor
and its instruction sets, torch's kernel level and threads, the library versions, the commit and each demo model's
recipe hash and fingerprint. ``tests/fixtures/regression`` was written so.

``compare_run`` holds a fresh output folder against a fixture folder, file by file and key by key:

* discrete values (ids, labels, counts, words, parameters) must be equal;
* floats must agree within the tolerance of their kind (``PROBABILITY``, ``METRIC``, ``COMPLETENESS``;
  ``test_regression``'s docstring says how each was measured);
* a discrete result that rests on floats (a predicted label, an answer, a generated token, the order of the words'
  scores) may differ only at a near tie: where the scores it was chosen by are within their tolerance of each other.
  Such a flip is reported, not failed, and what was computed from it (a run's metrics, a document's faithfulness, a
  method's averages and rank agreement) is set aside, since it moves by more than rounding; everything else is compared.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "regression"
SOURCE = "source.json"
DATA_FILES = (".json", ".jsonl", ".csv")
FLATTENED = ("token_attributions.csv",)  # token_attributions.jsonl's numbers as a table: the fixture keeps the JSON lines
EXPLAIN = "--no-cache --no-progress"
RUNS: dict[str, list[str]] = {  # a fixture folder's name: the workbench command that writes it (its --out added)
    name: command.split()
    for name, command in {
        "evaluate-minilm-bbc": "evaluate --model demo:minilm-bbc --data bbc-news:test --no-progress",
        "evaluate-tfidf-logreg": "evaluate --model demo:tfidf-logreg --data bbc-news:test --no-progress",
        "explain-minilm-bbc": "explain --model demo:minilm-bbc --data bbc-news:test --method lime --method shap "
        f"--method integrated-gradients --method gradient-x-input --method occlusion --n 3 --num-samples 100 {EXPLAIN}",
        "explain-tfidf-logreg": "explain --model demo:tfidf-logreg --data bbc-news:test --method lime --method shap "
        f"--method occlusion --n 3 --num-samples 100 {EXPLAIN}",
        "compare": "compare demo:minilm-bbc demo:tfidf-logreg --data bbc-news:test --explain-n 2 --num-samples 100 "
        "--no-memory --probe-n 20 --no-progress",
        "evaluate-minilm-qa": "evaluate --model demo:minilm-qa --data bbc-qa:validation --no-progress",
        "explain-minilm-qa": "explain --model demo:minilm-qa --data bbc-qa:validation --method gradient-x-input "
        f"--method integrated-gradients --n 3 {EXPLAIN}",
        "evaluate-headline-bbc": "evaluate --model demo:headline-bbc --data bbc-headlines:test --max-new-tokens 32 "
        "--no-progress",
        "explain-headline-bbc": "explain --model demo:headline-bbc --data bbc-headlines:test --method occlusion "
        f"--method integrated-gradients --n 2 --max-new-tokens 32 {EXPLAIN}",
    }.items()
}
DEMOS = ("minilm-bbc", "tfidf-logreg", "minilm-qa", "headline-bbc")  # the demo models the runs use
# The cost fields that measure this machine: time, and the size of the model file it built (skops' zip: a byte apart)
MEASURED = ("docs_per_s", "latency", "size_on_disk_bytes")
# The model fingerprint differs wherever the demo was trained on another machine; the backend is each machine's own
# calibrated choice (torch or ONNX Runtime, which it admits only where their probabilities agree within 2e-6)
NOT_COMPARED = ("provenance", "backend")


@dataclass(frozen=True)
class Tolerance:
    """``fresh`` agrees with ``fixture`` when ``|fresh - fixture| <= abs + rel * |fixture|`` (numpy.isclose's rule).

    Two values chosen between (two labels' probabilities, two words' scores) are a near tie when they are within
    twice that of each other: each may have moved by one tolerance.
    """

    rel: float
    abs: float

    def holds(self, fixture: float, fresh: float) -> bool:
        return abs(fresh - fixture) <= self.abs + self.rel * abs(fixture)

    def tie(self, a: float, b: float) -> bool:
        return abs(a - b) <= 2 * (self.abs + self.rel * max(abs(a), abs(b)))


# The figures and how they were measured: test_regression's docstring.
PROBABILITY = Tolerance(rel=0.0, abs=5e-5)  # a probability, a difference of two, a share of one (a word's score)
METRIC = Tolerance(rel=1e-5, abs=1e-7)  # a figure over a whole split: log loss, Brier, ECE, F1 of QA
COMPLETENESS = Tolerance(rel=0.0, abs=5e-4)  # integrated gradients' |delta| / |gap|, which a small gap magnifies


@dataclass(frozen=True)
class Tolerances:
    """The tolerance of each kind of value that one comparison holds its values to."""

    probability: Tolerance
    metric: Tolerance
    completeness: Tolerance

    def scaled(self, factor: float) -> Tolerances:
        return Tolerances(*(Tolerance(rel=t.rel * factor, abs=t.abs * factor)
                            for t in (self.probability, self.metric, self.completeness)))


SAME_WEIGHTS = Tolerances(PROBABILITY, METRIC, COMPLETENESS)  # the same weights: fp32 rounding of the same computation
# A machine that fine-tuned its own demo models (test_regression's docstring gives the figures it was measured on)
RETRAINED_FACTOR = 40
RETRAINED = SAME_WEIGHTS.scaled(RETRAINED_FACTOR)


@dataclass
class Outcome:
    """What a comparison found: values that differ beyond their tolerance, and near ties that flipped; ``tolerances``
    are the ones it held the values to."""

    tolerances: Tolerances = SAME_WEIGHTS
    problems: list[str] = field(default_factory=list)
    ties: list[str] = field(default_factory=list)


@dataclass
class SetAside:
    """What near ties moved in one run: outputs that flipped, documents and methods whose word order changed."""

    rows: int = 0
    documents: set[tuple[str, str]] = field(default_factory=set)  # (id, method): its rationales or its output changed
    methods: set[str] = field(default_factory=set)  # methods whose word order changed somewhere: their rank agreement


def close(
    fixture: Any, fresh: Any, where: str, tolerance: Tolerance, outcome: Outcome, skip: Sequence[str] = ()
) -> None:
    """Walk two JSON values: dicts by key (``fresh`` may add keys), lists by position, floats within ``tolerance``."""
    if isinstance(fixture, dict):
        if not isinstance(fresh, dict):
            outcome.problems.append(f"{where}: a dict became {fresh!r}")
            return
        for key, value in fixture.items():
            if key in skip:
                continue
            if key not in fresh:
                outcome.problems.append(f"{where}/{key} is missing")
            else:
                close(value, fresh[key], f"{where}/{key}", tolerance, outcome, skip)
    elif isinstance(fixture, list):
        if not isinstance(fresh, list) or len(fresh) != len(fixture):
            outcome.problems.append(
                f"{where}: {len(fixture)} items became {len(fresh) if isinstance(fresh, list) else repr(fresh)}"
            )
            return
        for i, (a, b) in enumerate(zip(fixture, fresh)):
            close(a, b, f"{where}[{i}]", tolerance, outcome, skip)
    elif isinstance(fixture, float) and isinstance(fresh, float):
        if not tolerance.holds(fixture, fresh):
            outcome.problems.append(
                f"{where}: {fixture!r} became {fresh!r} (|difference| {abs(fresh - fixture):.3g}, "
                f"tolerance {tolerance.abs:g} + {tolerance.rel:g} x |value|)"
            )
    elif fixture != fresh or type(fixture) is not type(fresh):
        outcome.problems.append(f"{where}: {fixture!r} became {fresh!r}")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def same_rows(old: list[dict], new: list[dict], where: str, outcome: Outcome) -> bool:
    """Whether two files hold the same rows (by id, in order); a problem otherwise."""
    if [r["id"] for r in old] == [r["id"] for r in new]:
        return True
    outcome.problems.append(f"{where}: the rows changed ({len(old)} rows became {len(new)}, or their ids or order)")
    return False


def flip(outcome: Outcome, set_aside: SetAside, where: str, old: Any, new: Any, margin: float) -> None:
    """A discrete output that changed: a near tie when the two values it was chosen by are ``margin`` apart, at most
    twice ``PROBABILITY`` (each may have moved by one); a problem otherwise."""
    if outcome.tolerances.probability.tie(margin, 0.0):
        set_aside.rows += 1
        outcome.ties.append(f"{where}: {old!r} became {new!r} at a near tie (margin {margin:.3g})")
    else:
        outcome.problems.append(
            f"{where}: {old!r} became {new!r}, but the fixture's margin {margin:.3g} is no near tie"
        )


def compare_predictions(fixture: Path, fresh: Path, where: str, outcome: Outcome, set_aside: SetAside) -> None:
    """A classifier's predictions CSV: ids and labels exact, ``p_*`` within ``PROBABILITY``, a changed prediction
    only at a near tie of the fixture's two highest probabilities."""
    old, new = read_csv(fixture), read_csv(fresh)
    if not same_rows(old, new, where, outcome) or (old and list(old[0]) != list(new[0])):
        return
    for a, b in zip(old, new):
        row = f"{where}: {a['id']}"
        numbers = {k: float(v) for k, v in a.items() if k.startswith("p_")}
        close(
            {k: v for k, v in a.items() if k not in numbers},
            {k: v for k, v in b.items() if k not in numbers},
            row,
            outcome.tolerances.probability,
            outcome,
            skip=("prediction",),
        )
        close(numbers, {k: float(b[k]) for k in numbers}, row, outcome.tolerances.probability, outcome)
        if a["prediction"] != b["prediction"]:
            first, second = sorted(numbers.values(), reverse=True)[:2]
            flip(outcome, set_aside, f"{row} prediction", a["prediction"], b["prediction"], first - second)


def compare_qa(fixture: Path, fresh: Path, where: str, outcome: Outcome, set_aside: SetAside) -> None:
    """A QA model's predictions.jsonl: an answer (text and offsets) exact, its score within ``PROBABILITY``; another
    answer only at a near tie: each was the best span on its machine, so their scores are within a tie of each other."""
    old, new = read_jsonl(fixture), read_jsonl(fresh)
    if not same_rows(old, new, where, outcome):
        return
    for a, b in zip(old, new):
        row = f"{where}: {a['id']}"
        if (a["prediction"], a["start"], a["end"]) == (b["prediction"], b["start"], b["end"]):
            close(a, b, row, outcome.tolerances.probability, outcome)
        else:
            close(a["answers"], b["answers"], f"{row} answers", outcome.tolerances.probability, outcome)
            flip(outcome, set_aside, f"{row} answer", a["prediction"], b["prediction"], abs(a["score"] - b["score"]))


@cache
def generator(ref: str):
    from workbench.models import load_model

    return load_model(ref, device="cpu")


def parting_margin(model, source: str, a: Sequence[int], b: Sequence[int]) -> float:
    """How far apart the model's probabilities of two greedy outputs' tokens are where the outputs first part.

    Both share every token before that step, so the model read the same input there, and each output chose its token
    as the most likely one: on one machine ``a``'s, on the other ``b``'s. Teacher-forced, as
    ``Generator.token_probabilities`` scores a generated text; an output that ended sooner chose its end there.
    """
    end = min(model.eos_ids)
    a, b = [*a, end], [*b, end]
    t = next(i for i, (x, y) in enumerate(zip(a, b)) if x != y)
    return abs(
        float(
            model.token_probabilities([source], a[: t + 1])[0, t]
            - model.token_probabilities([source], b[: t + 1])[0, t]
        )
    )


def compare_generations(fixture: Path, fresh: Path, where: str, outcome: Outcome, set_aside: SetAside) -> None:
    """A generator's predictions.jsonl: outputs exact, their scores within ``METRIC``; another output only at a near tie
    where the two first part, measured through the model (the file keeps the text, not the tokens' probabilities)."""
    from workbench.datasets import load_dataset

    old, new = read_jsonl(fixture), read_jsonl(fresh)
    if not same_rows(old, new, where, outcome):
        return
    metrics = read_json(fixture.with_name("metrics.json"))
    sources: dict[str, str] = {}
    for a, b in zip(old, new):
        row = f"{where}: {a['id']}"
        close(
            {k: a[k] for k in ("references", "reference")},
            {k: b[k] for k in ("references", "reference")},
            row,
            outcome.tolerances.metric,
            outcome,
        )
        if a["prediction"] == b["prediction"]:
            close(a, b, row, outcome.tolerances.metric, outcome)
            continue
        model = generator(metrics["model"])
        if not sources:
            dataset = load_dataset(metrics["data"])
            sources = dict(zip(dataset.ids, dataset.texts))
        ids = [
            model.tokenizer(text, add_special_tokens=False)["input_ids"] for text in (a["prediction"], b["prediction"])
        ]
        if [model.decode(i) for i in ids] != [a["prediction"], b["prediction"]]:
            outcome.problems.append(
                f"{row}: {a['prediction']!r} became {b['prediction']!r}; they do not re-tokenize, so no tie is shown"
            )
            continue
        margin = parting_margin(model, sources[a["id"]], *ids)
        flip(outcome, set_aside, f"{row} prediction", a["prediction"], b["prediction"], margin)


def swaps(fixture: Sequence[float], fresh: Sequence[float], tolerance: Tolerance) -> tuple[list[float], list[float]]:
    """Pairs of words whose order differs between two score vectors: the fixture's gaps at near ties, and at real gaps.

    Orders are read as every ranking of the workbench reads them (``rank_scores``: equal but for rounding is a tie).
    """
    import numpy as np

    from workbench.statistics.faithfulness import rank_scores

    x, y = rank_scores(fixture), rank_scores(fresh)
    i, j = np.nonzero(np.triu(np.sign(x[:, None] - x[None, :]) != np.sign(y[:, None] - y[None, :]), 1))
    ties = [tolerance.tie(x[p], x[q]) for p, q in zip(i, j)]
    gaps = np.abs(x[i] - x[j]).tolist()
    return [g for g, t in zip(gaps, ties) if t], [g for g, t in zip(gaps, ties) if not t]


def compare_order(
    rows_old: Sequence[Sequence[float]],
    rows_new: Sequence[Sequence[float]],
    record: str,
    method: str,
    key: tuple[str, str],
    outcome: Outcome,
    set_aside: SetAside,
) -> None:
    """The order of each row of word scores, the same but for near ties, which set the document and method aside."""
    ties, real = [], []
    for a, b in zip(rows_old, rows_new):
        t, r = swaps(a, b, outcome.tolerances.probability)
        ties += t
        real += r
    if real:
        outcome.problems.append(
            f"{record}: {len(real)} pairs of words changed order at fixture gaps up to {max(real):.3g}: no near ties"
        )
    if ties:
        set_aside.methods.add(method)
        set_aside.documents.add(key)
        outcome.ties.append(
            f"{record}: {len(ties)} pairs of words changed order at near ties (fixture gaps up to {max(ties):.3g})"
        )


def compare_explanations(fixture: Path, fresh: Path, where: str, outcome: Outcome, set_aside: SetAside) -> None:
    """attributions.jsonl (classifiers, question answering) or token_attributions.jsonl (generation), record by record:
    words and parameters exact; the explained output's probabilities and the scores (shares or differences of them)
    within ``PROBABILITY``, integrated gradients' relative completeness error within ``COMPLETENESS``; the scores in the
    same order but for near ties. What was explained (a label, an answer, the generated
    tokens) may differ only at a near tie: of the two outputs' probabilities, or where two generations first part."""
    old, new = read_jsonl(fixture), read_jsonl(fresh)
    if [(r["id"], r["method"]) for r in old] != [(r["id"], r["method"]) for r in new]:
        outcome.problems.append(f"{where}: the documents or methods changed")
        return
    tokens = bool(old) and "generated_ids" in old[0]
    chosen, scored = (
        ("generated_ids", ("scores", "prefix_scores", "diagnostics"))
        if tokens
        else ("target", ("scores", "diagnostics"))
    )
    for a, b in zip(old, new):
        record, key = f"{where}: {a['id']} {a['method']}", (a["id"], a["method"])
        if a[chosen] != b[chosen]:
            set_aside.documents.add(key)
            set_aside.methods.add(a["method"])
            margin = (
                parting_margin(generator(a["model"]), a["source"], a[chosen], b[chosen])
                if tokens
                else abs(a["output"] - b["output"])
            )
            shown = "prediction" if tokens else "target"
            flip(outcome, set_aside, f"{record} {shown}", a[shown], b[shown], margin)
            continue
        close(a, b, record, outcome.tolerances.probability, outcome, skip=(*scored, *NOT_COMPARED))
        for name in scored:
            close(a[name], b[name], f"{record} {name}", outcome.tolerances.probability, outcome,
                  skip=("relative_error",))
        if "relative_error" in a["diagnostics"]:
            at = f"{record} diagnostics/relative_error"
            close(a["diagnostics"]["relative_error"], b["diagnostics"].get("relative_error"), at,
                  outcome.tolerances.completeness, outcome)
        read = len(a["source_words"]) if tokens else len(a["scores"])
        rows = [(x[:read], y[:read]) for x, y in zip(*(r["scores"] if tokens else [r["scores"]] for r in (a, b)))]
        if all(len(x) == len(y) for x, y in rows):
            compare_order([x for x, _ in rows], [y for _, y in rows], record, a["method"], key, outcome, set_aside)


def compare_faithfulness(fixture: Path, fresh: Path, where: str, outcome: Outcome, set_aside: SetAside) -> None:
    """faithfulness.json within ``PROBABILITY`` (its scores are differences of probabilities), setting aside what near
    ties moved: a document whose word order or output changed, its method's averages, a reordered method's agreement."""
    old, new = read_json(fixture), read_json(fresh)
    token = old.get("task") == "generation"
    documents_key = "per_document" if token else "documents"
    for method, scores in old["faithfulness"].items():
        if method not in new["faithfulness"]:
            outcome.problems.append(f"{where}: {method} is missing")
            continue
        pairs = list(zip(scores[documents_key], new["faithfulness"][method][documents_key]))
        kept = [(a, b) for a, b in pairs if (a["id"], method) not in set_aside.documents]
        if len(kept) == len(pairs):
            close(scores, new["faithfulness"][method], f"{where}: {method}", outcome.tolerances.probability, outcome)
        else:
            close(
                [a for a, _ in kept], [b for _, b in kept], f"{where}: {method} {documents_key}",
                outcome.tolerances.probability, outcome,
            )
            outcome.ties.append(
                f"{where}: {method}'s averages not compared: near ties moved {len(pairs) - len(kept)} of its documents"
            )

    def rest(faithfulness: dict) -> dict:
        kept = {k: v for k, v in faithfulness.items() if k != "faithfulness"}
        if not token:
            kept["agreement"] = [a for a in faithfulness["agreement"] if not {a["a"], a["b"]} & set_aside.methods]
            kept["stability"] = {m: s for m, s in faithfulness["stability"].items() if m not in set_aside.methods}
        return kept

    close(rest(old), rest(new), where, outcome.tolerances.probability, outcome, skip=NOT_COMPARED)


def row_comparison(path: Path):
    """The comparison of a file of rows (a text, question or document, or one per method), by its name; else None."""
    if path.suffix == ".csv":  # a classifier's predictions: evaluate's predictions.csv, compare's predictions/MODEL.csv
        return compare_predictions
    if path.name == "predictions.jsonl":
        return compare_qa if "start" in read_jsonl(path)[0] else compare_generations
    return compare_explanations if path.name in ("attributions.jsonl", "token_attributions.jsonl") else None


def data_files(folder: Path) -> list[str]:
    """The data files under ``folder`` (relative paths, sorted): what a fixture keeps."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.suffix in DATA_FILES)


def compare_run(name: str, fixture: Path, fresh: Path, tolerances: Tolerances = SAME_WEIGHTS) -> Outcome:
    """Hold run ``name``'s fresh outputs in ``fresh`` against the fixture's in ``fixture`` within ``tolerances``: the
    rows first, then what was computed from them, which near ties that flipped set aside."""
    outcome, set_aside = Outcome(tolerances=tolerances), SetAside()
    files = data_files(fixture)
    for path in (p for p in files if not (fresh / p).is_file()):
        outcome.problems.append(f"{name}/{path} is missing")
    files = [p for p in files if (fresh / p).is_file()]
    for path in files:
        comparison = row_comparison(fixture / path)
        if comparison:
            comparison(fixture / path, fresh / path, f"{name}/{path}", outcome, set_aside)
    for path in files:
        old, new, where = fixture / path, fresh / path, f"{name}/{path}"
        if path == "faithfulness.json":
            compare_faithfulness(old, new, where, outcome, set_aside)
        elif path in ("metrics.json", "compare.json") and set_aside.rows:
            outcome.ties.append(f"{where} not compared: {set_aside.rows} outputs flipped at near ties")
        elif path == "metrics.json":
            old_json, new_json = read_json(old), read_json(new)
            # a reliability bin's mean confidence averages the probabilities of its few examples (of one, in a sparse
            # bin): it moves as a probability does, not as a figure over the whole split
            close(old_json.pop("reliability", None), new_json.pop("reliability", None), f"{where}/reliability",
                  outcome.tolerances.probability, outcome)
            close(old_json, new_json, where, outcome.tolerances.metric, outcome, skip=NOT_COMPARED)
        elif path == "compare.json":
            old_json, new_json = read_json(old), read_json(new)
            close(
                old_json.pop("metrics"), new_json.pop("metrics"), f"{where}/metrics", outcome.tolerances.metric,
                outcome, skip=NOT_COMPARED,
            )
            close(old_json, new_json, where, outcome.tolerances.probability, outcome, skip=(*MEASURED, *NOT_COMPARED))
    return outcome


def where_computed(models: Sequence[str] = DEMOS) -> dict[str, Any]:
    """The machine, libraries, commit and demo models that compute a run here (what ``source.json`` records)."""
    import torch

    from workbench.models.demos import DEMOS as RECIPES
    from workbench.models.demos import recipe_hash
    from workbench.models import load_model
    from workbench.provenance import machine, package_versions
    from workbench.report.manifest import git_state

    versions = package_versions()
    return {
        "processor": machine(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch_threads": torch.get_num_threads(),
        "python": sys.version.split()[0],
        "packages": {
            name: versions[name]
            for name in (
                "torch",
                "transformers",
                "tokenizers",
                "numpy",
                "scipy",
                "scikit-learn",
                "shap",
                "lime",
                "captum",
            )
        },
        "git": git_state(Path(__file__).parent),
        "models": {
            f"demo:{name}": {
                "recipe": recipe_hash(RECIPES[name]),
                "fingerprint": load_model(f"demo:{name}").fingerprint,
            }
            for name in models
        },
    }


def describe(source: Mapping[str, Any]) -> str:
    """One paragraph on where a run was computed, for a failing test's message."""
    processor = source["processor"]
    packages = ", ".join(f"{k} {v}" for k, v in source["packages"].items() if k in ("torch", "transformers"))
    models = "; ".join(f"{ref} {m['fingerprint'][:12]}" for ref, m in source["models"].items())
    return (
        f"{processor['cpu']} ({', '.join(processor['isa'] or ['flags unknown'])}; "
        f"torch kernels {source['torch_cpu_capability']}, "
        f"{source['torch_threads']} threads), {packages}, commit {(source['git']['commit'] or 'unknown')[:12]}"
        f"{' (dirty)' if source['git']['dirty'] else ''}; model fingerprints: {models}"
    )


def run(name: str, out: Path, env: Mapping[str, str] | None = None) -> Path:
    """Run command ``name`` in a fresh ``workbench`` process (``env`` replaces its environment) into ``out/NAME``."""
    script = Path(sys.executable).with_name("workbench")
    done = subprocess.run([str(script), *RUNS[name], "--out", str(out / name)], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"workbench {' '.join(RUNS[name])} failed: {done.stderr.strip()}")
    return out / name


def write_fixtures(out: Path) -> None:
    """Run every command of ``RUNS`` into ``out``, keep the data files and write ``source.json``."""
    for name in RUNS:
        folder = run(name, out)
        for path in sorted(folder.rglob("*"), reverse=True):  # files before the folders that hold them
            if path.is_file() and (path.suffix not in DATA_FILES or path.name in FLATTENED):
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    (out / SOURCE).write_text(json.dumps(where_computed(), indent=2, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.regression DIR   (writes the regression fixtures into DIR)")
    write_fixtures(Path(sys.argv[1]))
