"""LLM benchmark: a prompted classifier's shared cache against one forward per label and lm-eval; chat generation.

All in one run on the same documents, each timing the median of ``repeats`` after a warm-up:

* prompted classification, documents per second: the workbench (each prompt once, its key-value cache serving every
  label, token-budget batches); one forward per label (every prompt + verbalizer sequence through the same batching,
  as a hand-written scorer does); and lm-evaluation-harness 0.4.13's ``HFLM.loglikelihood`` on the same requests
  (installed apart in ``.venv/lmeval-reference``), with the largest difference of their log-likelihoods; int8 where
  the device is a CPU, with its agreement;
* chat generation, new tokens per second: the workbench's batched ``generate`` through the prompt against
  ``model.generate`` one prompt at a time, with the share of equal outputs;
* perplexity, tokens per second: the workbench's windows batched across texts against one forward per text with the
  model's own ``labels=`` loss (transformers' perplexity guide), with their bits per byte; int8 on a CPU;
* llama.cpp (llama-cpp-python built from source in ``.venv/llamacpp-reference`` by ``make llamacpp-reference``) on
  the GGUF file the demo was dequantized from: its greedy chat generation and its reading of the same token ids,
  timed, with how far its Q4_1 kernels drift from the workbench's fp32 dequantized weights (equal outputs, bits per
  byte). Recorded as not run, with the reason, where that environment is missing;
* token attributions of one headline (its first ``INSEQ_NEW_TOKENS`` tokens), the prompt cut to the article's first
  ``INSEQ_TEXT_TOKENS`` tokens: the workbench's occlusion and integrated gradients against Inseq 0.7.1's
  (``.venv/inseq-reference``, in a child process) on the same prompt and output, timed once each (Inseq's occlusion
  takes minutes), with their agreement: per generated token, the Spearman correlation of the two tools' scores over
  the article's words (Inseq's token scores summed into words as the workbench's are). Inseq drops the chat
  template's end-of-turn tokens from the prompt it reads; the tokens it left out are recorded.

The processor, its ISA flags and the thread count are recorded with the results (``bench.inference.environment``).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..io import write_json
from ..records.generation import GenerationSettings
from ..records.language_modeling import Window
from .generation import INSEQ_LOOP, _median_seconds
from .inference import environment

LMEVAL = Path(sys.prefix) / "lmeval-reference"  # lm-eval 0.4.13 without its dependencies, apart from the workbench's
LLAMA_CPP = Path(sys.prefix) / "llamacpp-reference" / "bin" / "python"  # its own venv: llama-cpp-python from source
LLAMA_CPP_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "llama_cpp_reference.py"
READ_WHOLE = Window(max_tokens=2048, stride=2048)  # llama.cpp's context below: the texts read fit in one pass
INSEQ_TEXT_TOKENS = 40  # the article's tokens in the attributed prompt: Inseq's occlusion took 220 s on these here
INSEQ_NEW_TOKENS = 8  # the attributed output's tokens: Inseq's time grows with them (24 took over 18 minutes)
INSEQ_LLM_SCRIPT = INSEQ_LOOP + """    start = time.perf_counter()
    found = model.attribute(job["prompt"], generated_texts=job["prompt"] + job["target"], show_progress=False,
                            skip_special_tokens=False, **kwargs)
    seconds = time.perf_counter() - start
    sequence = found.sequence_attributions[0]
    scores = sequence.target_attributions
    scores = (scores.sum(dim=-1) if scores.ndim == 3 else scores).nan_to_num(0.0)
    out[ours] = {"seconds": seconds, "tokens": [t.token for t in sequence.target], "scores": scores.T.tolist()}
print(json.dumps(out))
"""


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


def llama_cpp_reference(request: dict[str, Any]) -> dict[str, Any]:
    """``benchmarks/llama_cpp_reference.py`` in llama.cpp's environment on ``request``; ``{"error": ...}`` where that
    environment or the script is missing, or the run fails.

    Where the run dies of a signal, it runs again without llama.cpp's extra buffer types (its weight repacking, AMX
    among them), and the answer records ``extra_buffer_types`` and the signal: see the script's docstring."""
    if not LLAMA_CPP.is_file():
        return {"error": f"llama-cpp-python is not installed in {LLAMA_CPP.parent.parent}; "
                         "run `make llamacpp-reference`"}
    if not LLAMA_CPP_SCRIPT.is_file():
        return {"error": f"{LLAMA_CPP_SCRIPT} runs from a source checkout of the workbench"}
    crashed = None
    for extra in (True, False):
        done = subprocess.run([str(LLAMA_CPP), str(LLAMA_CPP_SCRIPT)], capture_output=True, text=True,
                              input=json.dumps({**request, "extra_buffer_types": extra}))
        if done.returncode >= 0:
            break
        crashed = f"signal {-done.returncode} with extra buffer types"
    if done.returncode:
        why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return {"error": f"llama.cpp failed: {why}" + (f" (before: {crashed})" if crashed else "")}
    return {**json.loads(done.stdout), "extra_buffer_types": extra, **({"crashed": crashed} if crashed else {})}


def perplexity_runs(lm: Any, model_ref: str, texts: list[str], ids: list[list[int]], *, repeats: int
                    ) -> tuple[dict[str, Any], list[float]]:
    """Tokens per second and bits per byte of the workbench's batched windows, of one forward per text with the model's
    ``labels=`` loss (over ``ids``: each text's tokens after the prefix), and of int8 (CPU); with the workbench's fp32
    nll per text, for llama.cpp's comparison."""
    import torch

    from ..models import load_model

    size = sum(len(text.encode("utf-8")) for text in texts)
    window = READ_WHOLE

    def labels_loss() -> list[float]:
        losses = []
        for row in ids:
            tensor = torch.tensor([row], device=lm.device)
            with torch.inference_mode():
                losses.append(float(lm.lm.model(input_ids=tensor, labels=tensor).loss) * (len(row) - 1))
        return losses

    lm.negative_log_likelihoods(texts[:1], window)  # warm-up
    runs = {"workbench": _median_seconds(lambda: lm.negative_log_likelihoods(texts, window)[0], repeats),
            "one_forward_per_text": _median_seconds(labels_loss, repeats)}
    if lm.device.type == "cpu":
        int8 = load_model(model_ref, task="language-modeling", device="cpu", precision="int8")
        int8.negative_log_likelihoods(texts[:1], window)
        runs["workbench_int8"] = _median_seconds(lambda: int8.negative_log_likelihoods(texts, window)[0], repeats)
    tokens = sum(len(row) - 1 for row in ids)
    ours = runs["workbench"][0]
    return {
        "texts": len(texts), "tokens": tokens, "bytes": size,
        **{name: {"seconds": seconds, "tokens_per_s": tokens / seconds, "workbench_speedup": seconds / ours,
                  "bits_per_byte": float(sum(nll)) / (math.log(2) * size)}
           for name, (seconds, nll) in runs.items()},
    }, list(runs["workbench"][1])


def llama_cpp_runs(generator: Any, sources: list[str], generated: list[list[int]], texts: list[str],
                   ids: list[list[int]], *, max_new_tokens: int, workbench: dict[str, Any]) -> dict[str, Any]:
    """llama.cpp on the demo's own GGUF file: generation and reading of the same token ids, against the workbench."""
    import torch

    from ..models.demos import gguf_file

    request = {"gguf": str(gguf_file()), "threads": torch.get_num_threads(), "n_ctx": 2048,
               "prompts": generator.encode_sources(sources), "stop": sorted(generator.eos_ids),
               "max_new_tokens": max_new_tokens, "texts": ids}
    started = time.perf_counter()
    answer = llama_cpp_reference(request)
    if "error" in answer:
        return answer
    new_tokens, tokens = sum(map(len, answer["generated"])), sum(len(row) - 1 for row in ids)
    size = sum(len(text.encode("utf-8")) for text in texts)
    bits = sum(answer["nll"]) / (math.log(2) * size)
    return {
        "llama_cpp_python": answer["llama_cpp_python"], "gguf": request["gguf"], "seconds_with_loading":
        time.perf_counter() - started, **{k: answer[k] for k in ("extra_buffer_types", "crashed") if k in answer},
        "generation": {"new_tokens": new_tokens, "tokens_per_s": new_tokens / answer["generation_seconds"],
                       "same_tokens": sum(a == b for a, b in zip(answer["generated"], generated)) / len(sources),
                       "same_first_token": sum(a[:1] == b[:1] for a, b in zip(answer["generated"], generated))
                       / len(sources)},
        "reading": {"tokens_per_s": tokens / answer["scoring_seconds"], "bits_per_byte": bits,
                    "bits_per_byte_minus_workbench": bits - workbench["bits_per_byte"],
                    "max_abs_text_nll_difference_per_token": max(
                        abs(a - b) / (len(row) - 1) for a, b, row in zip(answer["nll"], workbench["nll"], ids))},
    }


def inseq_agreement(generator: Any, text: str, *, max_new_tokens: int) -> dict[str, Any]:
    """The workbench's and Inseq's occlusion and integrated gradients on ``generator``'s output for ``text`` (through
    its prompt): seconds of each, and per generated token the Spearman correlation of their scores over the words
    read. Inseq's tokens are matched to the workbench's by ``difflib`` (it reads the prompt without its end-of-turn
    tokens); ``{"error": ...}`` when Inseq is missing or fails."""
    import difflib

    from scipy.stats import spearmanr

    from ..explainers.generation import TokenIntegratedGradients, source_tokens, token_explainer
    from ..explainers.gradients import pool_words
    from ..words import whole_text
    from .generation import run_inseq

    text, settings = whole_text(text), GenerationSettings(max_new_tokens=max_new_tokens)
    ids = generator.generate_ids([text], settings)[0]
    prompt_ids, offsets, kept = source_tokens(generator, text)
    job = {"model": str(generator.folder), "prompt": generator.renderer.text(text),
           "target": generator.tokenizer.decode(ids), "n_steps": TokenIntegratedGradients.default_num_samples}
    theirs = run_inseq(INSEQ_LLM_SCRIPT, job)
    if "error" in theirs:
        return theirs
    ours_tokens = generator.tokenizer.convert_ids_to_tokens(prompt_ids + ids)
    result: dict[str, Any] = {"prompt_tokens": len(prompt_ids), "generated_tokens": len(ids), "n_steps": job["n_steps"]}
    for method, found in theirs.items():
        explainer = token_explainer(method, generator, settings=settings)
        start = time.perf_counter()
        record = explainer.explain("0", text, ids)
        seconds = time.perf_counter() - start
        blocks = difflib.SequenceMatcher(a=ours_tokens, b=found["tokens"], autojunk=False).get_matching_blocks()
        matched = [(a + k, b + k) for a, b, size in blocks for k in range(size) if a + k < len(prompt_ids)]
        correlations = []
        for t, row in enumerate(found["scores"][: len(ids)]):
            placed = np.zeros(len(prompt_ids))
            for ours_at, theirs_at in matched:
                placed[ours_at] = row[theirs_at]
            words = pool_words(text, placed, offsets, [not k for k in kept])[: len(record.source_words)]
            rho = spearmanr(record.scores[t], words).statistic
            correlations.append(None if np.isnan(rho) else float(rho))
        scored = [r for r in correlations if r is not None]
        result["words"] = len(record.source_words)
        dropped = set(range(len(prompt_ids))) - {a for a, _ in matched}
        result["inseq_dropped_tokens"] = sorted({ours_tokens[i] for i in dropped})
        result[method] = {
            "workbench_seconds": seconds, "inseq_seconds": found["seconds"],
            "workbench_speedup": found["seconds"] / seconds,
            "spearman_per_token": correlations, "mean_spearman": float(np.mean(scored)) if scored else None,
        }
    return result


def run_llm_benchmark(
    model_ref: str = "demo:smollm2-instruct",
    data_ref: str = "bbc-news:test",
    headline_data: str = "bbc-headlines:test",
    *,
    documents: int = 32,
    headlines: int = 16,
    articles: int = 8,
    repeats: int = 3,
    max_new_tokens: int = 24,
    device: str = "cpu",
    out: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Prompted classification (documents/s, three ways, and int8), chat generation (tokens/s, two ways), perplexity
    (tokens/s, two ways, and int8) on ``articles`` articles, and llama.cpp beside them; ``out/llm.json``."""
    import torch

    from ..datasets.loading import load_dataset
    from ..models import load_model
    from ..models.language_modeling import LanguageModel
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
    picked_headlines = pick_documents(headline_set, headlines)
    sources = [headline_set.texts[i] for i in picked_headlines]
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
    lm = LanguageModel(generator)  # the same weights, read as plain text
    plain = load_dataset(data_ref.replace("bbc-news", "bbc-text", 1))
    picked = [plain.texts[i] for i in pick_documents(plain, articles)]
    kept = [(text, [lm.prefix, *row]) for text, row in zip(picked, lm.token_ids(picked))
            if len(row) < READ_WHOLE.max_tokens]  # each text tokenized once, for every path below
    reading, ids = [text for text, _ in kept], [row for _, row in kept]
    result["perplexity"], nll = perplexity_runs(lm, model_ref, reading, ids, repeats=repeats)
    result["llama_cpp"] = llama_cpp_runs(
        generator, sources, generated, reading, ids, max_new_tokens=max_new_tokens,
        workbench={"bits_per_byte": result["perplexity"]["workbench"]["bits_per_byte"], "nll": nll},
    )
    if generator.prompt is None:
        result["inseq"] = {"error": f"{model_ref} has no generation prompt to attribute through"}
    else:
        generator.use_prompt(replace(generator.prompt, max_text_tokens=INSEQ_TEXT_TOKENS))
        result["inseq"] = {"data": headline_data, "id": headline_set.ids[picked_headlines[0]],
                           "max_text_tokens": INSEQ_TEXT_TOKENS,
                           **inseq_agreement(generator, sources[0], max_new_tokens=INSEQ_NEW_TOKENS)}
    if out is not None:
        write_json(Path(out) / "llm.json", result)
    return result


def perplexity_lines(result: dict[str, Any]) -> list[str]:
    """The perplexity rows (tokens/s and bits per byte of each path) and llama.cpp's line."""
    perplexity = result["perplexity"]
    lines = [f"{'perplexity':<24}{'tokens/s':>9}{'workbench x':>13}{'bits/byte':>12}   "
                 f"({perplexity['texts']} articles, {perplexity['tokens']} tokens)"]
    for name in ("workbench", "one_forward_per_text", "workbench_int8"):
        if name in perplexity:
            row = perplexity[name]
            lines.append(f"{name:<24}{row['tokens_per_s']:>9.1f}{row['workbench_speedup']:>12.2f}x"
                         f"{row['bits_per_byte']:>12.4f}")
    llama = result["llama_cpp"]
    if "error" in llama:
        lines.append(f"llama.cpp not run: {llama['error']}")
    else:
        lines.append(
            f"llama.cpp {llama['llama_cpp_python']} (Q4_1 GGUF): generation {llama['generation']['tokens_per_s']:.1f} "
            f"tokens/s, {llama['generation']['same_tokens']:.3f} of outputs equal to the workbench's; reading "
            f"{llama['reading']['tokens_per_s']:.1f} tokens/s, {llama['reading']['bits_per_byte']:.4f} bits/byte "
            f"({llama['reading']['bits_per_byte_minus_workbench']:+.4f} against the workbench's fp32)"
            + ("" if llama.get("extra_buffer_types", True) else
               f"; without its weight repacking, which died of {llama['crashed']}")
        )
    return lines


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
    if "perplexity" in result:  # absent from results written before the perplexity and llama.cpp runs were added
        lines += perplexity_lines(result)
    inseq = result.get("inseq", {})  # absent from results written before the Inseq run was added
    if "error" in inseq:
        lines.append(f"Inseq not run: {inseq['error']}")
    for method in ("occlusion", "integrated-gradients"):
        if method in inseq:
            row, rho = inseq[method], inseq[method]["mean_spearman"]
            lines.append(
                f"token attribution {method}: workbench {row['workbench_seconds']:.1f} s, "
                f"Inseq {row['inseq_seconds']:.1f} s ({row['workbench_speedup']:.2f}x); "
                f"mean Spearman over {inseq['generated_tokens']} tokens "
                f"{'-' if rho is None else f'{rho:.3f}'} ({inseq['words']} words, one headline)"
            )
    return "\n".join(lines)
