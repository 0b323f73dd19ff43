"""Model folders: where a reference points, and whether a folder is safe to load.

Safety rules, checked before transformers reads anything:
* safetensors weights only: a folder with only pickle weights (``pytorch_model.bin``, ``.pt``)
  is refused with the conversion command, since unpickling can run code;
* no remote code: a config or tokenizer config with ``auto_map``, or a ``model_type`` that
  transformers does not ship, is refused; loading always passes ``HF_LOAD`` (``trust_remote_code=False``,
  local files only), so no ``.py`` file in a model folder ever runs and nothing is downloaded.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

from ..errors import ModelError

DEMO_PREFIX = "demo:"
# The task of a transformers folder, from the suffixes of its architecture's class name.
TASKS = {
    "classification": ("ForSequenceClassification",),
    "question-answering": ("ForQuestionAnswering",),
    "generation": ("ForConditionalGeneration", "EncoderDecoderModel", "MTModel", "ForCausalLM", "LMHeadModel"),
}
TASK_NAMES = {"classification": "a sequence-classification model", "question-answering": "an extractive question-answering model",
              "generation": "a text-generation model (encoder-decoder or causal language model)"}
HF_LOAD = {"trust_remote_code": False, "local_files_only": True}  # every from_pretrained call passes these
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
CONVERT_HINT = (
    "convert it once, in an environment you trust, with: python -c \"from transformers import "
    "AutoModelForSequenceClassification as M; M.from_pretrained('{src}', use_safetensors=False).save_pretrained('{src}')\""
)


def resolve_model_folder(ref: str) -> Path:
    """The folder a model reference points at, with a one-line error when there is none."""
    if ref.startswith(DEMO_PREFIX):
        from .demos import demo_folder

        return demo_folder(ref[len(DEMO_PREFIX) :])
    folder = Path(ref).expanduser()
    if not folder.exists():
        raise ModelError(f"model folder not found: {ref}; give a local model folder or a demo name (see `workbench models list`)")
    if not folder.is_dir():
        raise ModelError(f"{ref} is a file; give the model's folder (the one holding config.json)")
    return folder


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' loading chatter (warnings, "Loading weights" bars), then restore it."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path} is not valid JSON ({exc.__class__.__name__}); restore the file from the model's source") from None


def folder_task(folder: Path) -> str:
    """The task of a transformers model folder (a key of ``TASKS``) from its config's architectures; classification when none is named."""
    config_path = folder / "config.json"
    architectures = (_read_json(config_path).get("architectures") or []) if config_path.is_file() else []
    for task, suffixes in TASKS.items():
        if any(a.endswith(suffixes) for a in architectures):
            return task
    return "classification"


def check_model_folder(folder: Path, task: str = "classification") -> dict:
    """Refuse unsafe or unusable folders before loading, or a model of another ``task``; return the parsed config.json."""
    from transformers import CONFIG_MAPPING

    config_path = folder / "config.json"
    if not config_path.is_file():
        raise ModelError(f"{folder} has no config.json, so it is not a Hugging Face model folder; give a folder saved with save_pretrained")
    config = _read_json(config_path)
    tokenizer_config = folder / "tokenizer_config.json"
    for path, data in ((config_path, config), (tokenizer_config, _read_json(tokenizer_config) if tokenizer_config.is_file() else {})):
        if "auto_map" in data:
            raise ModelError(
                f"{path} asks for remote code (auto_map: {sorted(data['auto_map'])}); the workbench never runs code from a model folder; use a model whose architecture ships with transformers"
            )
    model_type = config.get("model_type")
    if model_type not in CONFIG_MAPPING:
        raise ModelError(
            f"{config_path}: model_type {model_type!r} is not a transformers architecture (it would need remote code); use a model whose architecture ships with transformers"
        )
    architectures = config.get("architectures") or []
    if architectures and not any(a.endswith(TASKS[task]) for a in architectures):
        raise ModelError(
            f"{folder} holds {', '.join(architectures)}, not {TASK_NAMES[task]}; fine-tune it for {task} first"
        )
    names = {p.name for p in folder.iterdir()}
    if not any(n == "model.safetensors" or n == "model.safetensors.index.json" or n.endswith(".safetensors") for n in names):
        pickles = sorted(n for n in names if n.endswith(PICKLE_SUFFIXES) or n == "pytorch_model.bin.index.json")
        if pickles:
            raise ModelError(f"{folder} has only pickle weights ({', '.join(pickles)}), which the workbench refuses to load; " + CONVERT_HINT.format(src=folder))
        raise ModelError(f"{folder} has no model.safetensors; save the model with save_pretrained (safetensors)")
    return config
