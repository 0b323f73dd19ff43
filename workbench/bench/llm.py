"""LLM benchmark: a prompted classifier's shared cache against one forward per label and lm-eval; chat generation.

All in one run on the same documents, each timing the median of ``repeats`` after a warm-up:

* prompted classification, documents per second: the workbench (each prompt once, its key-value cache serving every
  label, token-budget batches); one forward per label (every prompt + verbalizer sequence through the same batching,
  as a hand-written scorer does); and lm-evaluation-harness 0.4.13's ``HFLM.loglikelihood`` on the same requests
  (installed apart in ``.venv/lmeval-reference``), with the largest difference of their log-likelihoods; int8 where
  the device is a CPU, with its agreement;
* chat generation, new tokens per second: the workbench's batched ``generate`` through the prompt against
  ``model.generate`` one prompt at a time, with the share of equal outputs.

The processor, its ISA flags and the thread count are recorded with the results (``bench.inference.environment``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..io import write_json
from ..records.generation import GenerationSettings
from .generation import _median_seconds
from .inference import environment

LMEVAL = Path(sys.prefix) / "lmeval-reference"  # lm-eval 0.4.13 without its dependencies, apart from the workbench's


def lm_eval_loglikelihoods(model: Any, prompts: list[str], continuations: list[str]) -> np.ndarray | None:
    """lm-eval's ``loglikelihood`` for every (prompt, continuation) pair, ``(len(prompts), len(continuations))``; None
    when lm-eval is not installed apart."""
    if not (LMEVAL / "lm_eval").is_dir():
        return None
    sys.path.append(str(LMEVAL))
    try:
        from lm_eval.api.instance import Instance
        from lm_eval.models.huggingface import HFLM
    finally:
        sys.path.remove(str(LMEVAL))
    lm = HFLM(pretrained=model.model, tokenizer=model.tokenizer, batch_size=16, device=str(model.device))
    requests = [Instance("loglikelihood", {}, (p, c), idx=0) for p in prompts for c in continuations]
    scores = [ll for ll, _ in lm.loglikelihood(requests, disable_tqdm=True)]
    return np.array(scores).reshape(len(prompts), len(continuations))


def one_forward_per_label(classifier: Any, texts: list[str]) -> np.ndarray:
    """Every prompt + verbalizer sequence scored through the engine's token-budget batches: one forward each."""
    import torch

    from ..models.engine import run_batches

    lm = classifier.lm
    rows = [(p, c) for p in classifier.renderer.ids(texts) for c in classifier.continuations]

    def step(batch: list[int]) -> list[float]:
        inputs = lm.teacher_forced_inputs([rows[i][0] for i in batch], [rows[i][1] + [lm.pad_id] for i in batch])
        with torch.inference_mode():
            logits = lm.model(**inputs).logits.double()
        out = []
        for k, i in enumerate(batch):
            continuation = rows[i][1]
            logp = torch.log_softmax(logits[k, -len(continuation) - 1 : -1], dim=-1)
            out.append(float(sum(logp[t, token] for t, token in enumerate(continuation))))
        return out

    sizes = [len(p) + len(c) for p, c in rows]
    scores, _ = run_batches(
        sizes, step, device=lm.device, budget=lm.options.token_budget, max_batch_size=lm.options.max_batch_size
    )
    return np.array(scores).reshape(len(texts), len(classifier.continuations))


def run_llm_benchmark(
    model_ref: str = "demo:smollm2-instruct",
    data_ref: str = "bbc-news:test",
    headline_data: str = "bbc-headlines:test",
    *,
    documents: int = 32,
    headlines: int = 16,
    repeats: int = 3,
    max_new_tokens: int = 24,
    device: str = "cpu",
    out: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Prompted classification (documents/s, three ways, and int8) and chat generation (tokens/s, two ways);
    ``out/llm.json``."""
    import torch

    from ..datasets.loading import load_dataset
    from ..models import load_model
    from ..models.prompting import PromptedClassifier
    from ..studies.explanation import pick_documents

    classifier = load_model(model_ref, task="classification", device=device)
    if not isinstance(classifier, PromptedClassifier):
        raise ParameterError(f"the LLM benchmark needs a decoder-only LM with a classification prompt; got {model_ref}")
    dataset = load_dataset(data_ref)
    texts = [dataset.texts[i] for i in pick_documents(dataset, documents)]
    result: dict[str, Any] = {
        "model": model_ref,
        "data": data_ref,
        "documents": len(texts),
        "repeats": repeats,
        "prompt": classifier.prompt.to_dict(),
        "environment": environment(classifier.lm),
    }
    classifier.loglikelihoods(texts[:2])  # warm-up
    ours_seconds, ours = _median_seconds(lambda: classifier.loglikelihoods(texts), repeats)
    runs = {
        "workbench": (ours_seconds, ours),
        "one_forward_per_label": _median_seconds(lambda: one_forward_per_label(classifier, texts), repeats),
    }
    prompts, verbalizers = [classifier.renderer.text(t) for t in texts], list(classifier.prompt.verbalizers.values())
    if lm_eval_loglikelihoods(classifier.lm, prompts[:2], verbalizers) is not None:
        runs["lm_eval"] = _median_seconds(lambda: lm_eval_loglikelihoods(classifier.lm, prompts, verbalizers), repeats)
    else:
        result["lm_eval_error"] = f"lm-eval is not installed in {LMEVAL}; run `make install`"
    if classifier.device.type == "cpu":
        int8 = load_model(model_ref, task="classification", device="cpu", precision="int8")
        int8.loglikelihoods(texts[:2])
        runs["workbench_int8"] = _median_seconds(lambda: int8.loglikelihoods(texts), repeats)
    result["classification"] = {
        name: {
            "seconds": seconds,
            "documents_per_s": len(texts) / seconds,
            "workbench_speedup": seconds / ours_seconds,
            "max_abs_loglikelihood_difference": float(np.abs(scores - ours).max()),
            "same_prediction": float(np.mean(scores.argmax(axis=1) == ours.argmax(axis=1))),
        }
        for name, (seconds, scores) in runs.items()
    }

    generator = load_model(model_ref, device=device)
    headline_set = load_dataset(headline_data)
    sources = [headline_set.texts[i] for i in pick_documents(headline_set, headlines)]
    settings = GenerationSettings(max_new_tokens=max_new_tokens)

    def one_at_a_time() -> list[list[int]]:
        outputs = []
        for ids in generator.encode_sources(sources):
            with torch.inference_mode():
                output = generator.model.generate(
                    input_ids=torch.tensor([ids], device=generator.device),
                    max_new_tokens=max_new_tokens,
                    do_sample=False,
                    pad_token_id=generator.pad_id,
                )
            outputs.append(generator.new_tokens(output[0].tolist(), len(ids)))
        return outputs

    generator.generate_ids(sources[:2], settings)  # warm-up
    gen_seconds, generated = _median_seconds(lambda: generator.generate_ids(sources, settings), repeats)
    generation = {"workbench": (gen_seconds, generated), "one_at_a_time": _median_seconds(one_at_a_time, repeats)}
    result["generation"] = {
        "documents": len(sources),
        "data": headline_data,
        "max_new_tokens": max_new_tokens,
        **{
            name: {
                "seconds": seconds,
                "new_tokens": sum(map(len, outputs)),
                "tokens_per_s": sum(map(len, outputs)) / seconds,
                "workbench_speedup": seconds / gen_seconds,
                "same_tokens": sum(a == b for a, b in zip(outputs, generated)) / len(sources),
            }
            for name, (seconds, outputs) in generation.items()
        },
    }
    if out is not None:
        write_json(Path(out) / "llm.json", result)
    return result


def format_llm_table(result: dict[str, Any]) -> str:
    """Documents per second of each scoring path with their agreement, then generation's tokens per second."""
    env = result["environment"]
    lines = [
        f"{result['model']} on {result['documents']} documents of {result['data']} ({env['threads']} threads, "
        f"{env['processor']['cpu']}, {' '.join(env['processor']['isa'] or [])})",
        f"{'classification':<24}{'docs/s':>9}{'workbench x':>13}{'max |dLL|':>12}{'same label':>12}",
    ]
    for name, row in result["classification"].items():
        lines.append(
            f"{name:<24}{row['documents_per_s']:>9.2f}{row['workbench_speedup']:>12.2f}x"
            f"{row['max_abs_loglikelihood_difference']:>12.1e}"
            f"{row['same_prediction']:>12.3f}"
        )
    generation = result["generation"]
    lines.append(f"{'chat generation':<24}{'tokens/s':>9}{'workbench x':>13}{'same tokens':>12}")
    for name in ("workbench", "one_at_a_time"):
        row = generation[name]
        lines.append(
            f"{name:<24}{row['tokens_per_s']:>9.1f}{row['workbench_speedup']:>12.2f}x{row['same_tokens']:>12.3f}"
        )
    if "lm_eval_error" in result:
        lines.append(result["lm_eval_error"])
    return "\n".join(lines)
