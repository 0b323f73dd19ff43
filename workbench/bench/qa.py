"""Question-answering benchmark: the workbench's ``answer`` against the transformers question-answering pipeline.

transformers 5 removed the question-answering pipeline, so the reference is transformers
4.57.6's, installed by ``make install`` into ``.venv/qa-reference`` and run in a child
process beside the same torch (one call per question, as model cards show, and one call over
all questions with ``batch_size=32``). The workbench answers the same questions in this
process, with the same decoding (windows of the model's limit overlapping by half of it at
most 128 tokens, answers of at most ``MAX_ANSWER_LEN`` tokens). Everything is timed in one run
(the median of ``repeats`` after a warm-up), and the answers are compared (text and
character offsets).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from ..io import write_json
from .inference import PIPELINE_BATCH, environment

REFERENCE = Path(sys.prefix) / "qa-reference"  # transformers 4.57.6 and what it needs, apart from the workbench's transformers 5
MAX_ANSWER_LEN = 30
REFERENCE_SCRIPT = """
import json, statistics, sys, time
from transformers import pipeline
job = json.load(sys.stdin)
pipe = pipeline("question-answering", model=job["model"], tokenizer=job["model"], device=-1)
questions, contexts, options = job["questions"], job["contexts"], {"max_answer_len": job["max_answer_len"]}
pipe(question=questions[0], context=contexts[0], **options)
runs = {
    "per_question": lambda: [pipe(question=q, context=c, **options) for q, c in zip(questions, contexts)],
    "batched": lambda: pipe(question=questions, context=contexts, batch_size=job["batch_size"], **options),
}
out = {}
for name, run in runs.items():
    times = []
    for _ in range(job["repeats"]):
        start = time.perf_counter()
        answers = run()
        times.append(time.perf_counter() - start)
    out[name] = {"seconds": statistics.median(times), "answers": [[a["answer"], a["start"], a["end"]] for a in answers]}
print(json.dumps(out))
"""


def reference_pipeline(folder: Path, questions: list[str], contexts: list[str], *, repeats: int, batch_size: int = PIPELINE_BATCH) -> dict[str, Any]:
    """The reference pipeline's answers and median times, run in a child process (see the module docstring)."""
    if not (REFERENCE / "transformers").is_dir():
        raise ParameterError(f"the reference question-answering pipeline is not installed in {REFERENCE}; run `make install`")
    job = {"model": str(folder), "questions": questions, "contexts": contexts, "repeats": repeats, "batch_size": batch_size, "max_answer_len": MAX_ANSWER_LEN}
    env = {**os.environ, "PYTHONPATH": str(REFERENCE), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run([sys.executable, "-c", REFERENCE_SCRIPT], input=json.dumps(job), capture_output=True, text=True, env=env)
    if done.returncode:
        raise RuntimeError(f"the reference pipeline failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_qa_benchmark(model_ref: str = "demo:minilm-qa", data_ref: str = "bbc-qa:test", *, questions: int = 64, repeats: int = 3,
                     device: str = "cpu", out: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Questions per second of the workbench and of the pipeline (per question and batched), their ratios and agreement; ``out/answers.json``."""
    from ..datasets.loading import load_dataset
    from ..models import load_model
    from ..models.qa import QuestionAnswerer
    from ..studies.explanation import pick_documents

    dataset = load_dataset(data_ref)
    model = load_model(model_ref, device=device)
    if not isinstance(model, QuestionAnswerer) or model.device.type != "cpu":
        raise ParameterError(f"the question-answering benchmark needs a transformers question-answering model on the CPU (the reference runs there); got {model_ref}")
    rows = pick_documents(dataset, questions)
    asked, contexts = [dataset.questions[i] for i in rows], [dataset.contexts[i] for i in rows]
    model.answer(asked[:2], contexts[:2], progress=False)  # warm-up
    times, answers = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        answers = model.answer(asked, contexts, max_answer_len=MAX_ANSWER_LEN, progress=False)
        times.append(time.perf_counter() - start)
    ours = [[a[0].text, a[0].start, a[0].end] for a in answers]
    reference = reference_pipeline(model.folder, asked, contexts, repeats=repeats)
    seconds = statistics.median(times)
    result: dict[str, Any] = {"model": model_ref, "data": data_ref, "questions": len(rows), "repeats": repeats, "environment": environment(model),
                              "decoding": dict(zip(("max_seq_len", "doc_stride"), model.decoding_lengths(None, None)), max_answer_len=MAX_ANSWER_LEN),
                              "workbench": {"seconds": seconds, "questions_per_s": len(rows) / seconds}}
    for name, key in (("per_question", "pipeline_per_question"), ("batched", f"pipeline_batch{PIPELINE_BATCH}")):
        run = reference[name]
        result[key] = {"seconds": run["seconds"], "questions_per_s": len(rows) / run["seconds"],
                       "same_answers": sum(a == b for a, b in zip(ours, run["answers"])) / len(rows)}
        result["workbench"][f"vs_{key}"] = run["seconds"] / seconds
    if out is not None:
        write_json(Path(out) / "answers.json", result)
    return result


def format_qa_table(result: dict[str, Any]) -> str:
    """A short terminal table: questions per second, the workbench's speed-ups, the share of equal answers."""
    lines = [f"{result['model']} on {result['questions']} questions of {result['data']} ({result['environment']['threads']} threads)",
             f"{'mode':<24}{'questions/s':>12}{'workbench x':>13}{'same answers':>14}"]
    lines.append(f"{'workbench':<24}{result['workbench']['questions_per_s']:>12.2f}")
    for key in ("pipeline_per_question", f"pipeline_batch{PIPELINE_BATCH}"):
        row = result[key]
        lines.append(f"{key:<24}{row['questions_per_s']:>12.2f}{result['workbench'][f'vs_{key}']:>12.2f}x{row['same_answers']:>14.3f}")
    return "\n".join(lines)
