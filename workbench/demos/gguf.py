"""Dequantize a GGUF LLM once into a plain safetensors folder, so it loads like every other model.

transformers reads GGUF files (``from_pretrained(folder, gguf_file=...)``, with the ``gguf`` package) by dequantizing
them to torch tensors, but refuses to ``save_pretrained`` the result ("quantized with gguf"); safetensors'
``save_model`` writes the same tensors (shared ones once), and the config, generation config and tokenizer (with its
chat template) are saved beside them. The folder then loads with ``use_safetensors=True`` and no remote code, in a
fraction of a second instead of the GGUF parse, with logits equal to the GGUF model's. Checked: llama.cpp's
``convert`` scripts go the other way (to GGUF), and ``optimum`` has no GGUF reader.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..io import sha256_file, write_json
from ..models.folders import quiet_transformers
from ..models.prompting import PROMPTS_FILE
from ..records.prompt import Prompt


def dequantize_gguf(gguf: Path, out: Path, prompts: tuple[Prompt, ...] = ()) -> dict[str, Any]:
    """Write ``gguf``'s model as fp32 safetensors with its tokenizer into ``out``, and ``prompts`` as its own prompts.

    Returns what ``recipe.json`` records of the weights' origin: the GGUF file, its SHA-256 and its quantization type.
    """
    import torch
    from safetensors.torch import save_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with quiet_transformers():
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    save_model(model, str(out / "model.safetensors"), metadata={"format": "pt"})
    model.config.architectures = [type(model).__name__]  # a GGUF config names none; the folder's task is read from it
    model.config.save_pretrained(out)
    model.generation_config.save_pretrained(out)
    tokenizer.save_pretrained(out)
    if prompts:
        write_json(out / PROMPTS_FILE, [prompt.to_dict() for prompt in prompts])
    quantization = gguf.stem.rpartition(".")[2]
    return {
        "weights": {
            "source": gguf.name,
            "sha256": sha256_file(gguf),
            "quantization": quantization,
            "stored": "float32 safetensors, dequantized from " + quantization,
            "parameters": sum(p.numel() for p in model.parameters()),
        }
    }
