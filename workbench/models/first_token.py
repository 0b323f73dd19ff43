"""A BERT classifier's last layer run at the one position its head reads: the same logits for less work.

``BertForSequenceClassification`` classifies from the last layer's hidden state at ``[CLS]`` alone (its pooler reads
position 0), yet its forward computes the last layer at every position and drops all but one. :class:`FirstTokenHead`
runs the embeddings and the layers below through the model's own modules, then the last layer with the ``[CLS]``
query only, over every position's keys and values, through the same attention function the model is configured with.
The logits equal the full forward's within float rounding (``tests/test_models.py`` checks the demo and a tiny BERT,
padded rows included). On all-MiniLM-L6-v2 at 128 tokens the last layer's queries, attention output and feed-forward
at the other 127 positions are 14 % of the network's linear work; ``make bench`` measures what that saves.

The engine's inference runs through it, on torch and on ONNX Runtime (``onnx_runtime`` exports this module); the
gradient methods and the embeddings run the whole model. Its outputs depend on the thread count in their last digits
(2.8e-8 in the demo's probabilities between 1 and 2 threads, where the whole forward gave the same bits), so a rerun
is byte-identical with the same threads. Other architectures run whole (their heads differ: RoBERTa's reads
position 0 without a pooler, DistilBERT's and ELECTRA's have their own layer names), and so does a decoder-configured
BERT (causal masks).

Checked: transformers 5's ``BertModel`` has no option to stop a layer early (its encoder runs every layer at every
position, ``modeling_bert.BertEncoder``), and ONNX Runtime's graph optimisations (``ORT_ENABLE_ALL``) fuse those
operators without dropping the rows the head never reads; neither library offers this.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers.masking_utils import create_bidirectional_mask
from transformers.modeling_outputs import SequenceClassifierOutput
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS
from transformers.models.bert import modeling_bert


def applies(model: Any) -> bool:
    """Whether ``model`` is a BERT sequence classifier with a pooler, read bidirectionally: what this is written for."""
    return (type(model).__name__ == "BertForSequenceClassification" and getattr(model.bert, "pooler", None) is not None
            and not model.config.is_decoder)


class FirstTokenHead(torch.nn.Module):
    """``model``'s logits with its last layer computed at position 0 only (module docstring); the engine's runner."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model
        self.config = model.config
        self.train(model.training)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None) -> SequenceClassifierOutput:
        bert = self.model.bert
        hidden = bert.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
        mask = create_bidirectional_mask(config=self.config, inputs_embeds=hidden, attention_mask=attention_mask)
        *below, last = bert.encoder.layer
        for layer in below:
            hidden = layer(hidden, mask)
        attention = last.attention.self
        rows = hidden.shape[0]
        first = hidden[:, :1]

        def heads(states: torch.Tensor, projection: torch.nn.Module) -> torch.Tensor:
            return projection(states).view(rows, states.shape[1], -1, attention.attention_head_size).transpose(1, 2)

        function = ALL_ATTENTION_FUNCTIONS.get_interface(self.config._attn_implementation,
                                                         modeling_bert.eager_attention_forward)
        context, _ = function(attention, heads(first, attention.query), heads(hidden, attention.key),
                              heads(hidden, attention.value), None if mask is None else mask[:, :, :1], dropout=0.0,
                              scaling=attention.scaling)
        state = last.feed_forward_chunk(last.attention.output(context.reshape(rows, 1, -1), first))
        return SequenceClassifierOutput(logits=self.model.classifier(self.model.dropout(bert.pooler(state))))


def first_token_runner(model: Any) -> Any:
    """What the engine runs for ``model``: a :class:`FirstTokenHead` where :func:`applies`, else the model itself."""
    return FirstTokenHead(model) if applies(model) else model
