"""Gradient methods through Captum: integrated gradients and gradient x input on the embeddings.

Captum attributes to the output of the model's word-embedding layer
(``LayerIntegratedGradients``, ``LayerGradientXActivation``); each sub-word token's vector is
summed over the hidden dimension, and the tokens of a word (its segment, ``words``) are summed
into the word's score. Special tokens keep no score; words past the model's token limit get 0,
since the model never reads them. The function explained is the softmax probability of the
target, the same quantity LIME, SHAP and occlusion explain. Integrated gradients runs from a
baseline of padding tokens (special tokens kept), with ``num_samples`` steps.
"""

from __future__ import annotations

import bisect

import numpy as np

from ..errors import ModelError
from ..words import segment_offsets
from .base import Explainer


class _GradientExplainer(Explainer):
    """Shared set-up of the gradient methods: tokenize with offsets, pool tokens into words."""

    library = "captum"

    def __init__(self, model, **kwargs) -> None:
        from ..transformer import TransformerClassifier

        if not isinstance(model, TransformerClassifier):
            raise ModelError(f"method {self.name!r} needs gradients, and {model.ref} is not a neural network; use lime, shap or occlusion")
        if model.precision == "int8":
            raise ModelError(f"method {self.name!r} needs gradients, which int8-quantized layers do not have; load the model with precision fp32")
        super().__init__(model, **kwargs)

    def attribute(self, text: str, target: int) -> np.ndarray:
        import torch

        model = self.model
        encoded = model.tokenizer(
            text, truncation=True, max_length=model.max_length, return_offsets_mapping=True,
            return_special_tokens_mask=True, return_tensors="pt",
        )
        special = encoded.pop("special_tokens_mask")[0].bool()
        offsets = encoded.pop("offset_mapping")[0].tolist()
        inputs = {k: v.to(model.device) for k, v in encoded.items()}
        input_ids = inputs.pop("input_ids")
        extra = (inputs["attention_mask"], inputs.get("token_type_ids"))

        def target_proba(ids, attention_mask, token_type_ids):
            logits = model.model(input_ids=ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits
            return torch.softmax(logits.float(), dim=-1)[:, target]

        layer = model.model.get_input_embeddings()
        with torch.enable_grad():
            token_scores = self.token_attributions(target_proba, layer, input_ids, special.to(model.device), extra)
        token_scores = token_scores.sum(dim=-1)[0].detach().float().cpu().numpy()
        starts = [a for a, _ in segment_offsets(text)]
        scores = np.zeros(len(starts))
        for score, (start, end), is_special in zip(token_scores, offsets, special.tolist()):
            if not is_special and end > start:
                scores[bisect.bisect_right(starts, start) - 1] += score
        return scores

    def token_attributions(self, forward, layer, input_ids, special, extra):
        """Attributions ``(1, tokens, hidden)`` of the embedding layer's output."""
        raise NotImplementedError


class IntegratedGradientsExplainer(_GradientExplainer):
    """Integrated gradients (Sundararajan et al. 2017) from a padding baseline (Captum, Gauss-Legendre steps)."""

    name = "integrated-gradients"
    default_num_samples = 50
    settings = {"baseline": "pad"}

    def token_attributions(self, forward, layer, input_ids, special, extra):
        import torch
        from captum.attr import LayerIntegratedGradients

        pad = self.model.tokenizer.pad_token_id or 0
        baseline = torch.where(special, input_ids, torch.full_like(input_ids, pad))
        method = LayerIntegratedGradients(forward, layer)
        return method.attribute(input_ids, baselines=baseline, additional_forward_args=extra, n_steps=self.num_samples, internal_batch_size=16)


class GradientXInputExplainer(_GradientExplainer):
    """Gradient x input (Shrikumar et al. 2016) on the word embeddings: one backward pass."""

    name = "gradient-x-input"

    def token_attributions(self, forward, layer, input_ids, special, extra):
        from captum.attr import LayerGradientXActivation

        return LayerGradientXActivation(forward, layer).attribute(input_ids, additional_forward_args=extra)
