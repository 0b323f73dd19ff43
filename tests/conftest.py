"""Shared fixtures: a tiny randomly initialised BERT classifier, data files, and a CLI runner."""

from __future__ import annotations

import json
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
    from transformers import BertConfig, BertForSequenceClassification

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = tiny_wordpiece(folder, model_max_length=24)
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


def invoke(*args: str | Path):
    """Invoke the workbench CLI in-process; returns click's Result (exit_code, stdout, stderr)."""
    from typer.testing import CliRunner

    from workbench.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def cli():
    """The workbench CLI, in-process: ``cli("evaluate", ...)`` returns click's Result."""
    return invoke


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """``demo_run(name)`` runs the demo command ``regression.RUNS[name]`` once a session and returns its output folder.

    test_regression holds that run against its fixture and runs it again for its bytes; the integration tests that
    check the same command's figures read it too, rather than each running it again (a minute a command here). The
    folder is shared: read it, never write into it.
    """
    from .regression import RUNS

    root, done = tmp_path_factory.mktemp("demo-runs"), {}

    def run(name: str) -> Path:
        if name not in done:
            result = invoke(*RUNS[name], "--out", root / name)
            assert result.exit_code == 0, result.output
            done[name] = root / name
        return done[name]

    return run


def _seeded_sharp(model):
    """``model`` with every weight redrawn from N(0, 0.6), seeded: default initialisations give near-uniform outputs that ignore the input."""
    import torch

    torch.manual_seed(0)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0, 0.6)
    return model.eval()


def tiny_wordpiece(folder: Path, model_max_length: int = 48):
    from transformers import BertTokenizer

    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *TINY_WORDS]) + "\n", encoding="utf-8")
    return BertTokenizer(vocab=str(vocab), model_max_length=model_max_length)  # transformers 5: `vocab`, not `vocab_file`


@pytest.fixture(scope="session")
def tiny_generators(tmp_path_factory) -> dict[str, Path]:
    """Tiny seeded random generation models, saved as safetensors: ``t5`` and ``marian`` (encoder-decoder, translation's
    architectures, with a WordPiece tokenizer over ``TINY_WORDS``) and ``gpt2`` (decoder-only, a byte-level BPE tokenizer
    trained on ``TINY_WORDS`` with no padding token, as GPT-2's). Configured like transformers' own model testers."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2TokenizerFast, MarianConfig, MarianMTModel, T5Config, T5ForConditionalGeneration

    vocab_size = len(TINY_WORDS) + 5
    special = {"decoder_start_token_id": 2, "pad_token_id": 0, "eos_token_id": 3}  # [CLS], [PAD], [SEP] of the WordPiece vocabulary
    encoder_decoders = {
        "t5": T5ForConditionalGeneration(T5Config(vocab_size=vocab_size, d_model=16, d_kv=8, d_ff=32, num_layers=2, num_heads=2, **special)),
        "marian": MarianMTModel(MarianConfig(vocab_size=vocab_size, d_model=16, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2,
                                             decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=64,
                                             forced_eos_token_id=None, **special)),  # Marian forces token 0 (padding) last by default
    }
    folders = {}
    for name, model in encoder_decoders.items():
        folders[name] = tmp_path_factory.mktemp(f"tiny-{name}")
        _seeded_sharp(model).save_pretrained(folders[name])
        tiny_wordpiece(folders[name]).save_pretrained(folders[name])
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer, bpe.decoder = pre_tokenizers.ByteLevel(add_prefix_space=False), decoders.ByteLevel()
    bpe.train_from_iterator([" ".join(TINY_WORDS)] * 3, trainers.BpeTrainer(vocab_size=300, special_tokens=["<|endoftext|>"],
                                                                             initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    folders["gpt2"] = tmp_path_factory.mktemp("tiny-gpt2")
    config = GPT2Config(vocab_size=bpe.get_vocab_size(), n_embd=16, n_layer=2, n_head=2, n_positions=64, bos_token_id=0, eos_token_id=0)
    _seeded_sharp(GPT2LMHeadModel(config)).save_pretrained(folders["gpt2"])
    GPT2TokenizerFast(tokenizer_object=bpe, bos_token="<|endoftext|>", eos_token="<|endoftext|>", model_max_length=48).save_pretrained(folders["gpt2"])
    return folders


CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory) -> Path:
    """A tiny seeded random Llama (decoder-only, as SmolLM2) with a byte-level BPE tokenizer over ``TINY_WORDS``,
    ChatML's turn tokens and chat template, and its own prompts (``prompts.json``): a classifier over ``TINY_LABELS``
    whose verbalizers take several tokens each, and a chat prompt for generation."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer, bpe.decoder = pre_tokenizers.ByteLevel(add_prefix_space=False), decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator([" ".join(TINY_WORDS)] * 3, trainer)
    folder = tmp_path_factory.mktemp("tiny-llama")
    config = LlamaConfig(vocab_size=bpe.get_vocab_size(), hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=256, bos_token_id=0,
                         eos_token_id=1, pad_token_id=1, architectures=["LlamaForCausalLM"])
    _seeded_sharp(LlamaForCausalLM(config)).save_pretrained(folder)
    PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<|im_start|>", eos_token="<|im_end|>",
                            pad_token="<|im_end|>", chat_template=CHATML, model_max_length=256).save_pretrained(folder)
    prompts = [
        {"template": "Topic of: {examples}{text}\nTopic:", "train": "bbc-news:train",
         "verbalizers": {"business": " bank", "sports": " team match", "tech": " computer chip data"},
         "example": "{text}\nTopic:{answer}\n", "max_text_tokens": 40, "max_example_tokens": 8},
        {"template": "Headline: {text}", "chat": True, "max_text_tokens": 40},
    ]
    (folder / "prompts.json").write_text(json.dumps(prompts), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def tiny_qa_dir(tmp_path_factory) -> Path:
    """A seeded random 2-layer BERT question-answering head on MiniLM's real WordPiece tokenizer (128 tokens)."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForQuestionAnswering

    from workbench.models.demos import base_model_folder

    folder = tmp_path_factory.mktemp("tiny-qa")
    tokenizer = AutoTokenizer.from_pretrained(base_model_folder(), model_max_length=128)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512, initializer_range=0.5)
    BertForQuestionAnswering(config).eval().save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
