"""Token-by-token explanations of a generator: how much each source word (and earlier token) gave each generated token.

The function explained is ``Generator.token_probabilities``: the probability of generated
token t at step t, teacher-forced on the tokens generated before it (for the greedy output,
the probability it was chosen with). Two methods, as Captum's LLM attribution classes
(``captum.attr.LLMAttribution`` over ``FeatureAblation``, ``LLMGradientAttribution`` over
``LayerIntegratedGradients``) define them for decoder-only models, here for encoder-decoder
models too:

* **occlusion** (feature ablation): each source word deleted in turn (``words.mask_words``,
  the rule every workbench explanation masks by), all the generated tokens scored in the same
  forward pass; the score is the drop in each token's probability. For a decoder-only model
  each earlier generated token is also replaced by the padding token in turn.
* **integrated gradients** on the input embeddings, from a padding baseline (special tokens
  kept), one attribution per generated token, summed over the hidden dimension and pooled into
  words as the classifier's gradients are (``gradients.pool_words``). Every token's path shares
  the passes of ``gradients.integrated_gradients``, and a token whose completeness error is over
  the tolerance doubles its rule's intervals (evaluating only the new points) up to ``MAX_STEPS``.

A contrastive explanation ("why this token rather than that one", Yin & Neubig 2022) explains at each step
log p(token) − log p(foil) in the same context (``Generator.token_probabilities`` with ``contrast``) with the same
two methods: the foil is the model's runner-up at that step (``RUNNER_UP``) or the token at the same step of an
output text the user gives. Inseq's ``contrast_prob_diff`` step function is the closest peer; it reads the foil's
own prefix, while here both tokens follow the generated prefix, so one forward pass serves both.

Checked: Captum's ``LLMAttribution`` handles only decoder-only models, re-tokenizes the target
text (which need not give the generated ids back), and its ``LayerIntegratedGradients`` on a
shared embedding (T5, BART) would also interpolate the decoder's inputs; here the encoder's
embeddings are passed as ``inputs_embeds`` and checked to reproduce the model's probabilities.
Only the words the model read are scored (a source longer than the model's limit is cut). Through a prompt
(``Generator.use_prompt``) the template's tokens are kept as in the baseline, as the prompted classifier's are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ..errors import ModelError, ParameterError
from ..records.generation import GenerationSettings
from ..records.token_attribution import TokenAttribution
from ..words import mask_words, split_words, whole_text, word_spans
from .contrast import RUNNER_UP
from .gradients import integrated_gradients, pool_words, rows_per_pass

TOKEN_METHODS = ("occlusion", "integrated-gradients")
EMBEDDING_TOLERANCE = 1e-4  # the embeddings path must give the model's probabilities within this


def check_generator(model) -> None:
    """A one-line ModelError unless ``model`` gives token probabilities (a neural generator, not a rule)."""
    if not callable(getattr(model, "token_probabilities", None)):
        raise ModelError(f"{model.ref} is a rule without token probabilities, so its tokens cannot be explained; explain a neural generator")


class TokenExplainer:
    """Shared part of the token methods: generate (or take) the output, score it, attribute it, build the record."""

    name = ""
    default_num_samples: int | None = None

    def __init__(self, model, *, num_samples: int | None = None, settings: GenerationSettings = GenerationSettings()) -> None:
        check_generator(model)
        self.model = model
        self.num_samples = num_samples or self.default_num_samples
        self.settings = settings

    @property
    def parameters(self) -> dict[str, Any]:
        return {"generation": self.settings.to_dict(), "backend": self.model.backend}

    def explain(self, doc_id: str, source: str, generated_ids: Sequence[int] | None = None,
                contrast: str | None = None) -> TokenAttribution:
        """The record of one source: its output (generated here with ``settings`` unless given) explained token by
        token.

        ``contrast`` explains each token rather than another (``foils``): ``RUNNER_UP``, or an output text of as many
        tokens as the generated one.
        """
        model = self.model
        text = whole_text(source)  # the text every masked variant is a deletion from
        ids = list(model.generate_ids([text], self.settings)[0] if generated_ids is None else generated_ids)
        probabilities = model.token_probabilities([text], ids)[0]
        foils = None if contrast is None else foils_of(model, text, ids, contrast)
        values = probabilities if foils is None else model.token_probabilities([text], ids, contrast=foils)[0]
        read = model.reading(text).visible
        if ids:
            scores, prefix, diagnostics = self.attribute(text, read, ids, probabilities, Target(values, foils))
        else:  # an empty output (the model stopped at once) has no token to explain
            scores, prefix, diagnostics = np.zeros((0, read)), None if model.encoder_decoder else np.zeros((0, 0)), {}
        return TokenAttribution(
            id=doc_id, model=model.ref, method=self.name, parameters=self.parameters, source=text, source_words=split_words(text)[:read],
            prediction=model.decode(ids), generated=tuple(model.tokenizer.convert_ids_to_tokens(ids)), generated_ids=tuple(ids),
            probabilities=tuple(float(p) for p in probabilities), scores=_rows(scores),
            prefix_scores=None if prefix is None else _rows(prefix), diagnostics=diagnostics,
            contrast=None if foils is None else tuple(model.tokenizer.convert_ids_to_tokens(foils)),
            contrast_ids=None if foils is None else tuple(foils),
            log_ratios=None if foils is None else tuple(float(v) for v in values),
        )

    def attribute(self, text: str, read: int, ids: list[int], probabilities: np.ndarray,
                  target: "Target") -> tuple[np.ndarray, np.ndarray | None, dict[str, Any]]:
        """``(tokens, words read)`` scores, the decoder-only ``(tokens, tokens)`` prefix scores (None otherwise), and diagnostics."""
        raise NotImplementedError


class Target(NamedTuple):
    """What a token explanation explains at each step: the token's probability (``foils`` None) or its log-ratio to
    the foil token at that step; ``values`` are that quantity on the whole source."""

    values: np.ndarray
    foils: list[int] | None


def foils_of(model, text: str, ids: Sequence[int], contrast: str) -> list[int]:
    """The token each generated token is explained against: the model's runner-up at each step (``RUNNER_UP``), or
    the tokens of ``contrast``, an output text of as many tokens (tokenized without special tokens)."""
    if contrast == RUNNER_UP:
        return model.runner_up(text, ids)
    foils = model.tokenizer(contrast, add_special_tokens=False)["input_ids"]
    if len(foils) != len(ids):
        raise ParameterError(
            f"the contrast {contrast!r} has {len(foils)} tokens and the output {model.decode(ids)!r} has {len(ids)}; "
            f"give a contrast output of as many tokens (each token is explained against the one at its step), "
            f"or contrast={RUNNER_UP!r}"
        )
    return list(foils)


class TokenOcclusion(TokenExplainer):
    """Occlusion: the drop in every generated token's probability when one source word (or earlier token) is removed."""

    name = "occlusion"

    def attribute(self, text, read, ids, probabilities, target):
        model = self.model
        total = len(word_spans(text))
        base = target.values[None, :]
        variants = [mask_words(text, [k != j for k in range(total)]) for j in range(read)]
        if variants:
            scores = (base - model.token_probabilities(variants, ids, contrast=target.foils)).T
        else:
            scores = np.zeros((len(ids), 0))
        prefix = None
        if not model.encoder_decoder:
            fed = [[model.pad_id if k == j else token for k, token in enumerate(ids)] for j in range(len(ids))]
            # [replaced k, token t]
            dropped = base - model.token_probabilities([text] * len(ids), ids, fed=fed, contrast=target.foils)
            prefix = np.tril(dropped.T, k=-1)  # token t can only depend on tokens k < t
        return scores, prefix, {"evaluations": len(variants) + (len(ids) if prefix is not None else 0) + 1}


class TokenIntegratedGradients(TokenExplainer):
    """Integrated gradients on the input embeddings, one attribution per generated token, with its completeness error."""

    name = "integrated-gradients"
    default_num_samples = 32
    TOLERANCE = 0.05
    GAP_FLOOR = 0.01  # as the classifiers' (``IntegratedGradientsExplainer``)
    MAX_STEPS = 32

    @property
    def parameters(self) -> dict[str, Any]:
        return {**super().parameters, "n_steps": self.num_samples, "max_steps": self.MAX_STEPS, "baseline": "pad",
                "rule": "clenshaw-curtis", "tolerance": self.TOLERANCE}

    def attribute(self, text, read, ids, probabilities, target):
        import torch

        model = self.model
        if model.precision == "int8":
            raise ModelError(f"{model.ref} is int8-quantized, which has no gradients; load it with precision fp32 for integrated gradients")
        source_ids, offsets, special = source_tokens(model, text)
        inputs = {k: v.to(model.device) for k, v in model.teacher_forced_inputs([source_ids], [ids]).items()}
        input_ids = inputs.pop("input_ids")
        kept = torch.tensor(special + [0] * (input_ids.shape[1] - len(special)), device=model.device).bool()  # fed tokens (decoder-only) vary too
        embeddings = embedding_function(model, input_ids, inputs, ids, probabilities)
        baseline_ids = torch.where(kept[None, :], input_ids, torch.full_like(input_ids, model.pad_id))
        with torch.no_grad():
            actual, baseline = embeddings(input_ids), embeddings(baseline_ids)

        steps, chosen = (torch.tensor(v, device=model.device) for v in (range(len(ids)), ids))
        foils = None if target.foils is None else torch.tensor(target.foils, device=model.device)

        def forward(embeds):
            rows = {k: v.expand(len(embeds), *v.shape[1:]) for k, v in inputs.items()}
            logits = model.model(inputs_embeds=embeds, **rows).logits[:, -len(ids):].float()
            if foils is None:
                return torch.softmax(logits, dim=-1)[:, steps, chosen]
            return logits[:, steps, chosen] - logits[:, steps, foils]  # log p(token) - log p(foil): normalisers cancel

        tokens = input_ids.shape[1] + (inputs["decoder_input_ids"].shape[1] if "decoder_input_ids" in inputs else 0)
        token_scores, checks = integrated_gradients(
            forward, actual, baseline, outputs=len(ids), start_points=self.num_samples, max_points=self.MAX_STEPS,
            tolerance=self.TOLERANCE, gap_floor=self.GAP_FLOOR, rows_per_pass=rows_per_pass(model, tokens))
        errors = [abs(c["convergence_delta"]) / max(abs(c["gap"]), self.GAP_FLOOR) for c in checks]
        keep = [not s for s in special]
        scores = np.array([pool_words(text, row[:len(source_ids)], offsets, keep)[:read] for row in token_scores])
        prefix = None
        if not model.encoder_decoder:  # positions len(source) + k hold fed token k (k < T - 1)
            fed = np.array([row[len(source_ids):] for row in token_scores])
            prefix = np.zeros((len(ids), len(ids)))
            prefix[:, : fed.shape[1]] = fed
            prefix = np.tril(prefix, k=-1)
        return scores, prefix, {"relative_error": errors, "converged": sum(c["converged"] for c in checks),
                                "tolerance": self.TOLERANCE, "steps": [c["steps"] for c in checks]}


TOKEN_EXPLAINERS = {cls.name: cls for cls in (TokenOcclusion, TokenIntegratedGradients)}


def token_explainer(method: str, model, **kwargs) -> TokenExplainer:
    """The token explainer ``method`` for ``model``; a one-line ParameterError for a method generators do not have."""
    if method not in TOKEN_EXPLAINERS:
        raise ParameterError(f"method {method!r} does not explain generated tokens; use one of: {', '.join(TOKEN_METHODS)}")
    return TOKEN_EXPLAINERS[method](model, **kwargs)


def source_tokens(model, text: str) -> tuple[list[int], list[tuple[int, int]], list[int]]:
    """The ids the model reads for ``text``, each token's character offsets in ``text`` and whether it is kept as in
    the baseline (1: a special token, or through a prompt a token of the template, which is not the source's).

    Through a prompt the offsets are counted from where the document stands in it (``PromptRenderer.document_span``),
    so the template's tokens fall outside the text, as the prompted classifier's gradients place them.
    """
    if model.prompt is None:
        encoded = model.tokenizer(text, truncation=True, max_length=model.max_length, return_offsets_mapping=True,
                                  return_special_tokens_mask=True)
        return encoded["input_ids"], encoded["offset_mapping"], list(encoded["special_tokens_mask"])
    prompt, start, end = model.renderer.document_span(text)
    encoded = model.tokenizer(prompt, add_special_tokens=False, return_offsets_mapping=True)
    offsets = [(a - start, b - start) for a, b in encoded["offset_mapping"]]
    kept = [int(not (0 <= a < b <= end - start)) for a, b in offsets]
    return encoded["input_ids"], offsets, kept


def embedding_function(model, input_ids, inputs: dict, ids: Sequence[int], probabilities: np.ndarray):
    """Token ids -> the input embeddings the model computes from them: the embedding layer's output, times the encoder's
    ``embed_scale`` where the model applies it outside the layer (Marian). Checked to reproduce the model's probabilities."""
    import torch

    layer = model.model.get_input_embeddings()
    scale = getattr(model.model.get_encoder(), "embed_scale", None) if model.encoder_decoder else getattr(model.model, "embed_scale", None)
    candidates = [lambda x: layer(x)] + ([lambda x: layer(x) * scale] if isinstance(scale, (int, float)) and scale != 1 else [])
    for embeddings in candidates:
        with torch.no_grad():
            logits = model.model(inputs_embeds=embeddings(input_ids), **inputs).logits[:, -len(ids):].double()
            proba = torch.softmax(logits, dim=-1)[0, torch.arange(len(ids), device=logits.device), torch.tensor(list(ids), device=logits.device)].cpu().numpy()
        if np.allclose(proba, probabilities, atol=EMBEDDING_TOLERANCE):
            return embeddings
    raise ModelError(f"{model.ref}: its probabilities could not be reproduced from its input embeddings, so integrated gradients would explain "
                     "another function; use --method occlusion")


def _rows(matrix: np.ndarray) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(float(v) for v in row) for row in np.asarray(matrix))
