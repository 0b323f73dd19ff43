"""Shared fixtures: a tiny randomly initialised BERT classifier, data files, and a CLI runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

TINY_LABELS = ("business", "sports", "tech")
TINY_WORDS = (
    "the a of to and in is it market shares profit bank economy team match goal win player season "
    "computer software phone internet game online chip data new year said"
).split()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A 1-layer BERT (hidden size 16) with a WordPiece tokenizer, saved as safetensors.

    Built from a BertConfig like transformers' own BertModelTester; its weights are random but
    seeded, so its outputs are fixed. ``model_max_length`` is 24 to exercise truncation.
    """
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="session")
def tiny_sharp_dir(tmp_path_factory) -> Path:
    """The tiny BERT with large random weights (initializer_range 1), so every word moves its output.

    The default initialisation gives probabilities within 1e-4 of uniform, and explanations of
    such a model are all near zero; these are not, which the explanation tests need.
    """
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-sharp"), initializer_range=1.0)


def build_tiny_bert(folder: Path, **overrides) -> Path:
    """Save a seeded random tiny BERT classifier and its tokenizer into ``folder``."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *TINY_WORDS]) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(vocab=str(vocab), model_max_length=24)  # transformers 5: `vocab`, not `vocab_file`
    assert tokenizer.tokenize("the team") == ["the", "team"], "the tiny tokenizer lost its vocabulary"
    torch.manual_seed(0)
    settings = {
        "vocab_size": len(TINY_WORDS) + 5,
        "hidden_size": 16,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 32,
        "max_position_embeddings": 64,
        "num_labels": len(TINY_LABELS),
        "id2label": dict(enumerate(TINY_LABELS)),
        "label2id": {name: i for i, name in enumerate(TINY_LABELS)},
    }
    config = BertConfig(**{**settings, **overrides})
    model = BertForSequenceClassification(config).eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def write_csv(path: Path, rows: list[tuple[str, str]], header: str = "text,label") -> Path:
    """Write a small CSV with quoted fields."""
    lines = [header] + [",".join('"' + field.replace('"', '""') + '"' for field in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


TINY_ROWS = [
    ("the bank said profit and shares rose in the market", "business"),
    ("the team won the match with a late goal", "sports"),
    ("new software for the phone and online game", "tech"),
    ("economy and bank data said the market is new", "business"),
    ("player of the season said the team will win", "sports"),
    ("computer chip data and internet software", "tech"),
    ("shares of the bank", "business"),
    ("goal", "sports"),
]


@pytest.fixture
def tiny_csv(tmp_path) -> Path:
    """An 8-row labeled CSV in the tiny model's vocabulary and labels."""
    return write_csv(tmp_path / "tiny.csv", TINY_ROWS)


@pytest.fixture
def cli():
    """Invoke the workbench CLI in-process; returns click's Result (exit_code, stdout, stderr)."""
    from typer.testing import CliRunner

    from workbench.cli import app

    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args])

    return invoke
