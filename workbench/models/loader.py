"""Load a model by reference: a local folder or a demo name ``demo:NAME``.

Every model returned follows its task's protocol (``records``: a ``Classifier``, transformer or
scikit-learn; an ``Answerer``; a ``Generator``), so the rest of the workbench never asks which
implementation it holds.
"""

from __future__ import annotations

import os
from dataclasses import fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ModelError, ParameterError
from ..records import Answerer, Classifier, Generator
from .folders import folder_task, resolve_model_folder
from .options import LoadOptions, check_device_name

if TYPE_CHECKING:
    from .language_modeling import LanguageModel


def load_options(options: LoadOptions | None = None, **overrides: Any) -> LoadOptions:
    """``options`` (default: ``LoadOptions()``) with ``overrides`` applied; an unknown name is a TypeError."""
    if options is not None and not isinstance(options, LoadOptions):
        raise TypeError(f"options must be a workbench.LoadOptions, got {type(options).__name__}")
    names = [f.name for f in fields(LoadOptions)]
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise TypeError(f"load_model() got unknown option {unknown[0]!r}; options: {', '.join(names)}")
    return replace(options or LoadOptions(), **overrides)


def load_model(ref: str, options: LoadOptions | None = None, *, task: str | None = None, **overrides: Any
               ) -> Classifier | Answerer | Generator | LanguageModel:
    """Load a model from a local Hugging Face folder or a demo name; its task comes from the folder.

    A ``*ForSequenceClassification`` folder or a scikit-learn folder gives a classifier, a
    ``*ForQuestionAnswering`` folder an ``Answerer`` (``answer(questions, contexts)``), a
    ``*ForConditionalGeneration``, ``EncoderDecoderModel``, ``*ForCausalLM`` or ``*LMHeadModel``
    folder a ``Generator`` (``generate(texts, max_new_tokens=...)``).

    Parameters
    ----------
    ref : str
        A folder saved with ``save_pretrained`` (safetensors), a workbench scikit-learn folder,
        or ``demo:minilm-bbc``, ``demo:minilm-l3-bbc``, ``demo:tfidf-logreg``.
    options : LoadOptions, optional
        Device, precision, backend, batching and long-text handling (see ``LoadOptions``).
    task : str, optional
        The task the model is wanted for, where its folder serves several: a decoder-only LM is a ``Generator``, and
        a classifier through a prompt with verbalizers (``models.prompting``) for ``"classification"``, and a
        ``LanguageModel`` (each text's log-likelihood: ``models.language_modeling``) for ``"language-modeling"``. The
        verbs pass their data's task.
    **overrides
        Any ``LoadOptions`` field by name, e.g. ``device="cpu"``, ``precision="int8"``.

    Examples
    --------
    >>> model = load_model("demo:minilm-bbc", precision="fp32")
    >>> model.label_names
    ('business', 'entertainment', 'politics', 'sports', 'tech')
    """
    if not isinstance(ref, str):
        raise TypeError(f"load_model() takes a model folder or demo name (str), got {type(ref).__name__}")
    options = load_options(options, **overrides)
    from .scikit_learn import SklearnClassifier, workbench_kind

    folder = resolve_model_folder(ref)
    kind = workbench_kind(folder)
    if kind == "lexical-qa":
        from .lexical_qa import LexicalAnswerer

        return LexicalAnswerer(ref, folder)
    if kind == "lead-sentence":
        from .lead_sentence import LeadSentence

        return LeadSentence(ref, folder)
    if kind is not None:
        kind_task(folder, kind)  # an unknown kind is a one-line ModelError
        check_device_name(options.device)  # scikit-learn runs on the CPU; a bad name is still an error
        if options.precision not in ("auto", "fp32") or options.backend not in ("auto", "torch"):
            option = f"precision {options.precision!r}" if options.precision not in ("auto", "fp32") else f"backend {options.backend!r}"
            raise ParameterError(f"{option} applies to transformer models; {ref} is a scikit-learn model (leave the default)")
        return SklearnClassifier(ref, folder)
    architecture = folder_task(folder)
    if architecture == "question-answering":
        from .qa import QuestionAnswerer

        return QuestionAnswerer(ref, folder, options)
    if architecture == "generation":
        from .generation import Generator

        if task == "language-modeling":
            from .language_modeling import LanguageModel

            return LanguageModel(Generator(ref, folder, options))
        from .prompting import prompted

        return prompted(Generator(ref, folder, options), task, options.prompt)
    from .transformer import TransformerClassifier

    return TransformerClassifier(ref, folder, options)


#: The task of each workbench-made model kind (``workbench.json``'s ``kind``); transformers folders say theirs in config.json.
KIND_TASKS = {"sklearn-skops": "classification", "lexical-qa": "question-answering", "lead-sentence": "generation"}


def model_task(model: Any, wanted: str | None = None, prompt: str | None = None) -> str:
    """The task of a loaded model or of a reference, read from its folder without loading its weights.

    Checked before a model loads, so a report on data of another task fails in one line at once. A decoder-only LM
    serves ``wanted`` when it has a prompt for it (``prompt``, a file, or its folder's own: ``models.prompting``).
    """
    if is_loaded_model(model):
        return str(model.task)
    from .prompting import prompt_task
    from .scikit_learn import workbench_kind

    folder = resolve_model_folder(os.fspath(model))
    kind = workbench_kind(folder)
    if kind is not None:
        return kind_task(folder, kind)
    task = folder_task(folder)
    if task == "generation" and wanted == "language-modeling":
        return wanted  # a decoder-only LM reads plain text; an encoder-decoder is refused when it loads
    return prompt_task(folder, wanted, prompt) if task == "generation" else task


def kind_task(folder: Path, kind: str) -> str:
    """The task of a workbench-made model kind; an unknown kind (from another version) is a one-line ModelError."""
    if kind not in KIND_TASKS:
        raise ModelError(f"{folder} is a workbench model of unknown kind {kind!r}; rebuild it with this version of the workbench")
    return KIND_TASKS[kind]


def is_loaded_model(value: Any) -> bool:
    """Whether ``value`` is a model as ``load_model`` returns it, not a reference: a ``ref`` and either a classifier's
    ``predict_proba`` and label names, a question-answering model's ``answer``, a generator's ``generate`` or a
    language model's ``negative_log_likelihoods``."""
    if isinstance(value, (str, os.PathLike)) or not isinstance(getattr(value, "ref", None), str):
        return False
    return ((callable(getattr(value, "predict_proba", None)) and hasattr(value, "label_names")) or callable(getattr(value, "answer", None))
            or callable(getattr(value, "generate", None)) or callable(getattr(value, "negative_log_likelihoods", None)))


def as_model(model: Any, options: LoadOptions | None = None, task: str | None = None
             ) -> Classifier | Answerer | Generator | LanguageModel:
    """``model`` as a loaded model (a ``Classifier``, ``Answerer`` or ``Generator``): a reference is loaded with
    ``options`` for ``task`` (see ``load_model``), a loaded model is used as it is.

    Every verb takes its models through here, so a notebook can pass what it holds; anything
    else is a one-line TypeError that names what is accepted.
    """
    if isinstance(model, (str, os.PathLike)):
        return load_model(os.fspath(model), options, task=task)
    if is_loaded_model(model):
        return model
    raise TypeError(f"model must be a model reference (a str such as 'demo:minilm-bbc' or a folder) or a model from load_model; "
                    f"got {type(model).__name__}")
