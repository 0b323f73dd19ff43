"""Fine-tune a local BERT-style encoder for text classification, seeded and offline.

Checked: ``transformers.Trainer`` needs ``accelerate`` and brings checkpointing, logging
integrations and its own seeding; for a two-epoch fine-tune of a small encoder a plain loop
(AdamW and ``transformers.get_linear_schedule_with_warmup``) is shorter, needs nothing more,
and makes every random choice explicit: the head's initialisation, dropout and the batch order
all come from ``seed``.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

from ..records import Dataset
from .registry import FinetuneConfig

logger = logging.getLogger(__name__)


def finetune(base: Path, train: Dataset, out: Path, config: FinetuneConfig, *, name: str = "model", progress: bool = True) -> None:
    """Fine-tune the encoder in ``base`` on ``train`` and ``save_pretrained`` it into ``out``.

    The tokenizer is saved with ``model_max_length = config.max_length``: the model is trained
    on that many tokens, so it is also evaluated at that length (positions it never saw in
    training would otherwise cost accuracy).
    """
    import torch
    from tqdm.auto import tqdm
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    from ..models.folders import HF_LOAD, quiet_transformers

    torch.manual_seed(config.seed)
    label_names = train.label_names
    label2id = {name: i for i, name in enumerate(label_names)}
    overrides = {"num_hidden_layers": config.num_layers} if config.num_layers else {}
    with quiet_transformers():  # "newly initialized classifier" is expected here
        model = AutoModelForSequenceClassification.from_pretrained(
            base,
            num_labels=len(label_names),
            id2label=dict(enumerate(label_names)),
            label2id=label2id,
            use_safetensors=True,
            **overrides,
            **HF_LOAD,
        )
    tokenizer = AutoTokenizer.from_pretrained(base, model_max_length=config.max_length, **HF_LOAD)
    encoded = tokenizer(list(train.texts), truncation=True, max_length=config.max_length, padding=True, return_tensors="pt")
    targets = torch.tensor([label2id[label] for label in train.labels])

    steps = config.epochs * math.ceil(len(train) / config.batch_size)
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)], "weight_decay": config.weight_decay},
        {"params": [p for n, p in model.named_parameters() if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=config.learning_rate)
    schedule = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * steps), steps)
    generator = torch.Generator().manual_seed(config.seed)
    model.train()
    with tqdm(total=steps, desc=f"fine-tune {name}", unit="step", disable=not progress) as bar:
        for _ in range(config.epochs):
            for rows in torch.randperm(len(train), generator=generator).split(config.batch_size):
                batch = {k: v[rows] for k, v in encoded.items()}
                loss = model(**batch, labels=targets[rows]).loss
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad(set_to_none=True)
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}")
    model.eval()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
