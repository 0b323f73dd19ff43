"""Extractive question answering: the workbench's answers equal the transformers pipeline's; the quick-start code's do not.

transformers 5 removed the question-answering pipeline, so the reference is transformers
4.57.6's ``QuestionAnsweringPipeline``, installed by ``make install`` into
``.venv/qa-reference`` (with the tokenizers and huggingface_hub it needs) and run in a
subprocess beside the same torch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REFERENCE = Path(sys.prefix) / "qa-reference"
CONTEXT = ("The Bank of England raised interest rates to 4.75% on Thursday, its governor Mervyn King said. "
           "Shares in London fell sharply as traders in the City reacted to the news. ")
CASES = [
    {"question": "Who said the bank raised rates?", "context": CONTEXT * 6, "options": {}},
    {"question": "What fell?", "context": "Shares in London fell sharply after the announcement.", "options": {"top_k": 3}},
    {"question": "Where did shares fall?", "context": CONTEXT * 6, "options": {"max_seq_len": 64, "doc_stride": 16, "top_k": 2, "max_answer_len": 10}},
    {"question": "Is there an answer?", "context": "Nothing here.", "options": {"handle_impossible_answer": True, "top_k": 2}},
    {"question": "What did the governor say about the economy and rates?", "context": CONTEXT * 12, "options": {"max_answer_len": 30}},
    {"question": "When?", "context": "On Thursday.", "options": {}},
]
REFERENCE_SCRIPT = """
import json, sys
from transformers import pipeline
pipe = pipeline("question-answering", model=sys.argv[1], tokenizer=sys.argv[1], device=-1)
results = [pipe(question=c["question"], context=c["context"], **{"max_answer_len": 15, **c["options"]}) for c in json.load(sys.stdin)]
print(json.dumps([r if isinstance(r, list) else [r] for r in results]))
"""


@pytest.fixture(scope="session")
def tiny_qa_dir(tmp_path_factory) -> Path:
    """A seeded random 2-layer BERT question-answering head on MiniLM's real WordPiece tokenizer (128 tokens)."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForQuestionAnswering

    from workbench.demos.registry import base_model_folder

    folder = tmp_path_factory.mktemp("tiny-qa")
    tokenizer = AutoTokenizer.from_pretrained(base_model_folder(), model_max_length=128)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                        max_position_embeddings=512, initializer_range=0.5)
    BertForQuestionAnswering(config).eval().save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def pipeline_answers(folder: Path, cases: list[dict]) -> list[list[dict]]:
    """The transformers 4.57.6 pipeline's answers, one call per question as its documentation shows."""
    if not (REFERENCE / "transformers").is_dir():
        pytest.skip(f"the reference pipeline is not installed in {REFERENCE}; run `make install`")
    env = {**os.environ, "PYTHONPATH": str(REFERENCE), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", REFERENCE_SCRIPT, str(folder)], input=json.dumps(cases), capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_answers_equal_the_pipelines_with_long_contexts_batched(tiny_qa_dir):
    from workbench.models import load_model

    model = load_model(str(tiny_qa_dir))
    assert model.task == "question-answering" and model.max_length == 128
    expected = pipeline_answers(tiny_qa_dir, CASES)
    for case, reference in zip(CASES, expected):
        options = {"max_answer_len": 15, **case["options"]}
        options["handle_impossible"] = options.pop("handle_impossible_answer", False)
        # every question of a setting in one batched call, padded together with the others
        [ours] = model.answer([case["question"]], [case["context"]], **options)
        batched = model.answer([c["question"] for c in CASES], [case["context"]] * len(CASES), **options)[CASES.index(case)]
        assert [(a.text, a.start, a.end) for a in ours] == [(r["answer"], r["start"], r["end"]) for r in reference], case["question"]
        assert [a.score for a in ours] == pytest.approx([r["score"] for r in reference], rel=1e-5)
        assert [(a.text, a.start, a.end) for a in batched] == [(a.text, a.start, a.end) for a in ours]
        assert all(case["context"][a.start:a.end] == a.text for a in ours)
    assert model.answer(["Is there an answer?"], ["Nothing here."], handle_impossible=True)[0][0].is_null


def quick_start(model, tokenizer, question: str, context: str) -> tuple[str, int, int, int]:
    """The decoding the issue quotes from tutorials (transformers 5 dropped ``encode_plus``; calling the tokenizer is the same)."""
    import torch

    inputs = tokenizer(question, context, add_special_tokens=True, return_tensors="pt", truncation=True)
    with torch.no_grad():
        outputs = model(**inputs)
    answer_start = torch.argmax(outputs[0]).item()
    answer_end = answer_start + tokenizer.encode(context, add_special_tokens=True)[0]
    return tokenizer.decode(inputs["input_ids"][0][answer_start:answer_end]), answer_start, answer_end, inputs["input_ids"].shape[1]


def test_the_quick_start_decoding_goes_wrong_where_the_workbench_does_not(tiny_qa_dir):
    """It adds the [CLS] id (101) to the start instead of reading the end logits, so its span runs past the input or into
    the question's [SEP]; and it cuts long contexts at 128 tokens without a word."""
    from workbench.models import load_model

    model = load_model(str(tiny_qa_dir))
    question, context = CASES[0]["question"], CASES[0]["context"]
    text, start, end, length = quick_start(model.model, model.tokenizer, question, context)
    assert end - start == model.tokenizer.cls_token_id == 101  # the "end" is the start plus a token id
    assert end > length  # past the last token of the input
    assert text not in context  # special tokens and words glued from wherever the span ran
    [best] = model.answer([question], [context])[0]
    assert context[best.start:best.end] == best.text and len(model.tokenizer(question, context)["input_ids"]) > 128
