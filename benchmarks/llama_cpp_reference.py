"""llama.cpp (llama-cpp-python) on a GGUF file: greedy generation and token log-likelihoods, for the LLM benchmark.

Runs as a script in its own environment (``make llamacpp-reference``: ``.venv/llamacpp-reference``, llama-cpp-python
built from source), so it imports neither torch nor the workbench. ``workbench.bench.llm`` runs it from the source
checkout with one JSON request on stdin and reads one JSON answer on stdout; it gives the same token ids as the
workbench's model reads, so the tokenizers cannot differ:

* ``prompts`` (token ids) are generated from greedily, at most ``max_new_tokens`` new tokens each, stopping at
  ``stop`` ids: the new ids and the seconds for all of them;
* ``texts`` (token ids, each starting with its beginning-of-text token) are read in one pass each: every token's
  log-probability after the tokens before it, summed per text (nats), and the seconds.

With ``"extra_buffer_types": false`` the weights load without llama.cpp's extra buffer types (its weight repacking
for the CPU's kernels, AMX among them): on a 2-core Xeon VM that reports AMX, llama-cpp-python 0.3.36 built with
``-march=native`` died of a segmentation fault in its first ``decode`` with them, and ran without them.
"""

from __future__ import annotations

import json
import sys
import time

import llama_cpp
import numpy as np
from llama_cpp import Llama


def main() -> None:
    request = json.load(sys.stdin)
    if not request.get("extra_buffer_types", True):  # Llama() takes no such argument: its defaults are changed
        defaults = llama_cpp.llama_cpp.llama_model_default_params

        def without_extra_buffer_types() -> llama_cpp.llama_model_params:
            params = defaults()
            params.use_extra_bufts = False
            return params

        llama_cpp.llama_cpp.llama_model_default_params = without_extra_buffer_types
    common = {
        "n_ctx": request["n_ctx"],
        "n_threads": request["threads"],
        "n_threads_batch": request["threads"],
        "seed": 0,
        "verbose": False,
    }
    writer = Llama(model_path=request["gguf"], **common)
    outputs, started = [], time.perf_counter()
    for prompt in request["prompts"]:
        new: list[int] = []
        for token in writer.generate(prompt, top_k=1, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=1.0):
            if token in request["stop"]:
                break
            new.append(int(token))
            if len(new) == request["max_new_tokens"]:
                break
        outputs.append(new)
    generation_seconds = time.perf_counter() - started
    reader = Llama(model_path=request["gguf"], logits_all=True, **common)
    nll, started = [], time.perf_counter()
    for ids in request["texts"]:
        reader.reset()
        reader.eval(ids)
        logits = np.asarray(reader.scores[: len(ids) - 1], dtype=np.float64)
        shifted = logits - logits.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        nll.append(-float(logp[np.arange(len(ids) - 1), ids[1:]].sum()))
    json.dump(
        {
            "llama_cpp_python": llama_cpp.__version__,
            "generated": outputs,
            "generation_seconds": generation_seconds,
            "nll": nll,
            "scoring_seconds": time.perf_counter() - started,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
