"""Explanation efficiency: what an explanation costs against its own model evaluations run as plain inference.

An explanation by perturbation or by gradients is a number of model evaluations of known shapes, and the engine
already runs such shapes near the matmul peak. ``measure_cell`` runs one method on one task's documents once, timed,
while it records

* every forward pass of the model's network (a forward pre-hook and hook on its torch module, and on the module its
  inference runs where that is another, ``models.first_token``): the rows, the padded
  tokens (rows x width, the decoder's too), whether the pass kept gradients, and the seconds between the hooks;
* every call of the model's scoring functions (``SCORING``: class probabilities, an answer's probability, generated
  tokens' probabilities, generation itself), with its arguments.

It then replays the same work as plain inference, timed: the scoring calls with the same arguments, and the network
passes made outside them (the gradient methods' steps and checks) on the same token ids, as a forward pass under
inference mode or, where the pass kept gradients, a forward pass and a backward pass to the input embeddings (what
Captum differentiates). ``efficiency = replay seconds / explanation seconds``: 1.0 means the explanation cost its
evaluations and nothing else. A cell under ``GOAL`` is run once more under cProfile, and the self time of its functions
outside torch summed by the package they belong to: where the rest of its time goes (the tokenizer, lime's regression,
shap's partition tree, the workbench's own Python per sample).

Checked: ``torch.profiler`` attributes time to operators, not to the Python libraries around them; cProfile's self time
per function, grouped by file, names the library. Float inputs of a replayed pass (interpolated embeddings) are
replayed as seeded random values of the same shape: the cost of a dense network does not depend on them.
"""

from __future__ import annotations

import contextlib
import cProfile
import pstats
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ParameterError
from .inference import first_words

GOAL = 0.8  # the bar: an explanation spends at least 80 % of its time on its evaluations
SCORING = ("predict_proba", "answer_probability", "token_probabilities", "generate_ids")
PROFILE_TOP = 6  # packages listed where a cell's time goes
RERUN_BELOW_S = 10.0  # a cell faster than this is timed again, warm, and the second run kept


@dataclass(frozen=True)
class Subject:
    """One task's rows of the table: a model, its data, and what is explained.

    ``documents`` are spread over the data (``pick_documents``); ``words`` cuts classification texts to their first
    words (an LLM's prompt stays short enough to explain in a benchmark); ``methods`` are explained at their default
    budgets except where ``num_samples`` names one (per method).
    """

    model: str
    data: str
    methods: tuple[str, ...]
    documents: int = 3
    words: int | None = None
    num_samples: Mapping[str, int] = field(default_factory=dict)


ALL_METHODS = ("lime", "shap", "occlusion", "integrated-gradients", "gradient-x-input")
SMALL_BUDGET = {"lime": 100, "shap": 100}  # where the default budgets over a long input take minutes a document


def default_subjects(
    classifier: str = "demo:minilm-bbc", data: str = "bbc-news:test", qa: str = "demo:minilm-qa",
    qa_data: str = "bbc-qa:test", generator: str = "demo:headline-bbc", generation_data: str = "bbc-headlines:test",
    llm: str = "demo:smollm2-instruct",
) -> tuple[Subject, ...]:
    """Every task `make bench` measures: a classifier on whole documents, questions over whole BBC articles,
    generated headlines, and a prompted LLM classifier on one document's first 20 words (its integrated gradients
    take minutes there: five labels' continuations, each step differentiated through 135 M parameters)."""
    return (
        Subject(classifier, data, ALL_METHODS),
        Subject(qa, qa_data, ALL_METHODS, num_samples=SMALL_BUDGET),
        Subject(generator, generation_data, ("occlusion", "integrated-gradients")),
        Subject(llm, data, ALL_METHODS, documents=1, words=20, num_samples=SMALL_BUDGET),
    )


@dataclass
class Recording:
    """What one explanation made: its network passes (counted) and the work to replay, in order."""

    passes: int = 0
    rows: int = 0
    backward_rows: int = 0
    padded_tokens: int = 0
    network_seconds: float = 0.0
    # in order: ("call", name, args, kwargs) of a scoring call, ("pass", grad, args, kwargs) of a pass outside them
    replay: list[tuple[str, Any, tuple, dict]] = field(default_factory=list)
    depth: int = 0  # > 0 inside a scoring call: its passes are counted, the call is replayed


def network_of(model: Any) -> Any:
    """The torch module a workbench model runs (a prompted LLM's language model's); one line for a model without one,
    or one whose inference runs elsewhere (an ONNX Runtime session has no hooks to count its passes by)."""
    import torch

    network = getattr(getattr(model, "lm", model), "model", None)
    if not isinstance(network, torch.nn.Module):
        raise ParameterError(f"{model.ref} has no neural network to measure; give a transformer model")
    if model.backend != "torch":
        raise ParameterError(f"{model.ref} runs on {model.backend}, whose passes cannot be counted; load it with "
                             "backend='torch'")
    return network


@dataclass(frozen=True)
class Shaped:
    """A float input of a recorded pass (interpolated embeddings), kept by shape and type: replayed as random values."""

    shape: tuple[int, ...]
    dtype: Any


def _kept(value: Any) -> Any:
    """A pass's input as replayed: token ids and masks copied, float tensors by shape, plain values as they are."""
    import torch

    if isinstance(value, torch.Tensor):
        return Shaped(tuple(value.shape), value.dtype) if value.is_floating_point() else value.detach().clone()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ParameterError(f"a network pass outside the scoring functions takes a {type(value).__name__}, which cannot "
                         "be replayed; route it through one of " + ", ".join(SCORING))


@contextlib.contextmanager
def recording(model: Any) -> Iterator[Recording]:
    """Count ``model``'s network passes and record its scoring calls and the passes outside them (module docstring)."""
    import torch

    network, seen, started = network_of(model), Recording(), []

    def before(module, args, kwargs):
        # the tokens read: the encoder's or decoder-only model's ids (or embeddings), and a decoder's ids
        fed = [kwargs.get(k) for k in ("input_ids", "inputs_embeds", "decoder_input_ids")] + list(args[:1])
        shapes = [tuple(v.shape[:2]) for v in fed if v is not None]
        rows = shapes[0][0]
        seen.passes, seen.rows = seen.passes + 1, seen.rows + rows
        seen.padded_tokens += sum(a * b for a, b in shapes)
        grad = torch.is_grad_enabled() and not torch.is_inference_mode_enabled()
        seen.backward_rows += rows if grad else 0
        if not seen.depth:
            seen.replay.append(("pass", grad, tuple(map(_kept, args)), {k: _kept(v) for k, v in kwargs.items()}))
        started.append(time.perf_counter())

    def after(module, args, kwargs, output):
        seen.network_seconds += time.perf_counter() - started.pop()

    def wrapped(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if not seen.depth:
                seen.replay.append(("call", name, args, kwargs))
            seen.depth += 1
            try:
                return method(*args, **kwargs)
            finally:
                seen.depth -= 1
        return call

    names = [name for name in SCORING if hasattr(model, name)]
    runner = getattr(model, "runner", network)  # a classifier's inference runs its own module (``first_token``)
    modules = [network] if runner is network or not isinstance(runner, torch.nn.Module) else [network, runner]
    hooks = [hook for module in modules for hook in (module.register_forward_pre_hook(before, with_kwargs=True),
                                                      module.register_forward_hook(after, with_kwargs=True))]
    for name in names:
        setattr(model, name, wrapped(name, getattr(model, name)))
    try:
        yield seen
    finally:
        for hook in hooks:
            hook.remove()
        for name in names:
            delattr(model, name)  # the class's method again


def replay(model: Any, work: Sequence[tuple[str, Any, tuple, dict]], *, seed: int = 0) -> float:
    """Seconds to run ``work`` (a recording's replay list) as plain inference: the calls again, the passes bare."""
    import torch

    network, generator = network_of(model), torch.Generator().manual_seed(seed)

    def made(value: Any) -> Any:
        if isinstance(value, Shaped):
            return torch.randn(value.shape, generator=generator).to(network.device, value.dtype)
        return value

    start = time.perf_counter()
    for kind, what, args, kwargs in work:
        if kind == "call":
            getattr(model, what)(*args, **kwargs)
            continue
        args, kwargs = tuple(map(made, args)), {k: made(v) for k, v in kwargs.items()}
        if not what:  # a pass without gradients
            with torch.inference_mode():
                network(*args, **kwargs)
            continue
        with torch.enable_grad():
            if kwargs.get("inputs_embeds") is None:
                kwargs["inputs_embeds"] = network.get_input_embeddings()(kwargs.pop("input_ids")).detach()
            leaf = kwargs["inputs_embeds"].requires_grad_()
            output = network(*args, **kwargs)
            torch.autograd.grad(output[0].float().sum(), leaf)
    return time.perf_counter() - start


def package_of(file: str, function: str) -> str:
    """The library a profiled function belongs to: its site-packages folder, ``workbench``, or ``python``; a built-in
    by the library named in its description (``<method 'encode_batch' of 'tokenizers.Tokenizer' objects>``)."""
    if file == "~":
        found = re.search(r"\b(torch|tokenizers|numpy|scipy|sklearn|safetensors)\b", function)
        return found.group(1) if found else "python"
    found = re.search(r"[/\\](?:site|dist)-packages[/\\]([A-Za-z0-9_]+)", file)
    if found:
        return found.group(1)
    return "workbench" if re.search(r"[/\\]workbench[/\\]", file) else "python"


def where_time_goes(run: Callable[[], Any]) -> dict[str, float]:
    """Self seconds of ``run`` under cProfile by library, the ``PROFILE_TOP`` largest, largest first (profiling slows
    Python more than compiled code, so these are shares of a slower run, not the timed one's seconds)."""
    profile = cProfile.Profile()
    profile.runcall(run)
    totals: dict[str, float] = defaultdict(float)
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    for (file, _, function), (_, _, self_seconds, _, _) in stats.items():
        totals[package_of(file, function)] += self_seconds
    return dict(sorted(totals.items(), key=lambda kv: -kv[1])[:PROFILE_TOP])


def recorded(model: Any, explain: Callable[[], Any]) -> tuple[Recording, float, Any]:
    """``explain()`` run once under :func:`recording`: what it recorded, its seconds, and its records."""
    with recording(model) as seen:
        start = time.perf_counter()
        records = explain()
        return seen, time.perf_counter() - start, records


def doubling(records: Sequence[Any]) -> dict[str, int]:
    """What integrated gradients' doubling of steps cost ``records`` (none for other methods): the points of the final
    rules, the points evaluated to reach them, and the evaluations saved against a rule that does not nest. The method
    starts at ``num_samples`` points and doubles its rule's intervals until its completeness error is small
    (``explainers.gradients.integrated_gradients``). Clenshaw-Curtis nodes nest, so each round evaluates only its new
    points; Gauss-Legendre's (Captum's default) do not, and a record kept at ``p_k`` points from ``p_0`` would
    evaluate ``p_0 + p_1 + ... + p_k``."""
    rounds = [((r.diagnostics or {}).get("steps"), (getattr(r, "params", None) or {}).get("num_samples"))
              for r in records]
    if not rounds or not all(isinstance(kept, int) and isinstance(start, int) for kept, start in rounds):
        return {}
    saved = 0
    for kept, points in rounds:
        while points < kept:
            saved, points = saved + points, 2 * points - 1
    kept = sum(kept for kept, _ in rounds)
    return {"final_steps": kept, "steps_evaluated": kept, "evaluations_saved": saved}


def measure_cell(model: Any, explain: Callable[[], Any], *, documents: int, seed: int = 0) -> dict[str, Any]:
    """One method on one task: evaluations, padded tokens, seconds, the replay's seconds and the efficiency; where the
    time goes when the efficiency is under ``GOAL``; for integrated gradients, what its doubling of steps cost. A cell
    under ``RERUN_BELOW_S`` is measured on its second run. ``explain()`` returns the records."""
    seen, seconds, records = recorded(model, explain)
    if seconds < RERUN_BELOW_S:  # a cheap cell is mostly first-use costs (importing Captum, autograd's set-up)
        seen, seconds, records = recorded(model, explain)
    engine = replay(model, seen.replay, seed=seed)
    cell: dict[str, Any] = {
        "documents": documents, "evaluations": seen.rows, "backward_rows": seen.backward_rows,
        "forward_passes": seen.passes, "padded_tokens": seen.padded_tokens, "seconds": seconds,
        "s_per_doc": seconds / documents, "network_seconds_in_situ": seen.network_seconds,
        "engine_seconds": engine, "efficiency": engine / seconds,
    }
    cell.update(doubling(records))
    if cell["efficiency"] < GOAL:
        cell["time_goes"] = where_time_goes(explain)
    return cell


def run_efficiency(subjects: Sequence[Subject], *, seed: int = 0, device: str = "auto"
                   ) -> dict[str, Any]:
    """The efficiency table: one row per task, one cell per method (``measure_cell``), in one run."""
    from ..datasets.loading import load_dataset
    from ..models import load_model
    from ..studies.explanation import pick_documents
    from ..tasks import task_of

    table: dict[str, Any] = {"goal": GOAL, "rows": []}
    for subject in subjects:
        dataset = load_dataset(subject.data)
        # on torch, whose passes the recording counts, whichever backend ``auto`` would choose
        model = load_model(subject.model, task=dataset.task, device=device, backend="torch")
        task = task_of(dataset)
        data = dataset.select(pick_documents(dataset, subject.documents))
        task.predict(model, data, progress=False)  # warm-up: kernels, tokenizer, lazy loading
        explained = [first_words(t, subject.words) for t in data.texts] if subject.words else data
        row: dict[str, Any] = {"task": task.name, "model": subject.model, "data": subject.data, "words": subject.words,
                               "ids": list(data.ids), "methods": {}}
        for method in subject.methods:
            budget = subject.num_samples.get(method)

            def explain(method: str = method, budget: int | None = budget) -> Any:
                return task.explain(model, explained, method=method, seed=seed, num_samples=budget, cache=False,
                                    progress=False)

            row["methods"][method] = {"num_samples": budget, **measure_cell(model, explain, documents=len(data),
                                                                            seed=seed)}
        table["rows"].append(row)
    return table


def format_efficiency_table(table: dict[str, Any]) -> str:
    """The efficiency table as text: per task and method (with its budget where it is not the method's default),
    evaluations, tokens, seconds, efficiency, for a cell under the goal the libraries its time goes to, and what
    integrated gradients evaluated beyond the steps it kept."""
    lines = [f"efficiency = the same evaluations run as plain inference / the explanation (goal >= {table['goal']})",
             f"{'task':<20}{'method':<22}{'docs':>5}{'evals':>9}{'tokens':>11}{'s/doc':>9}{'engine s':>10}"
             f"{'efficiency':>12}  where the time goes (profiled self time)"]
    for row in table["rows"]:
        lines.append(f"{row['task']}: {row['model']} on {row['data']}"
                     + (f", first {row['words']} words" if row["words"] else "") + f" ({', '.join(row['ids'])})")
        for method, cell in row["methods"].items():
            goes = cell.get("time_goes") or {}
            total = sum(goes.values())
            shares = ", ".join(f"{k} {v / total:.0%}" for k, v in goes.items() if v >= 0.02 * total)
            budget = f"{method} ({cell['num_samples']})" if cell["num_samples"] else method
            lines.append(f"{'':<20}{budget:<22}{cell['documents']:>5}{cell['evaluations']:>9}"
                         f"{cell['padded_tokens']:>11}{cell['s_per_doc']:>9.2f}{cell['engine_seconds']:>10.2f}"
                         f"{cell['efficiency']:>12.2f}  {shares}")
            if cell.get("evaluations_saved"):
                lines.append(f"{'':<42}{cell['final_steps']} points kept, each evaluated once: "
                             f"{cell['evaluations_saved']} evaluations saved against a rule that does not nest")
            elif cell.get("steps_evaluated", 0) > cell.get("final_steps", 0):  # written before the rule nested
                lines.append(f"{'':<42}{cell['final_steps']} steps kept of {cell['steps_evaluated']} evaluated: "
                             "doubling Gauss-Legendre steps recomputed every point")
    return "\n".join(lines)
