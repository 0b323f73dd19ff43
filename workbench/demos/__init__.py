"""The demo models: a registry of recipes that imports no torch (``registry``), the builders
(``build``) and the seeded fine-tuning loop they use (``finetune``)."""

from .registry import DEMOS, demo_folder, is_current, list_demos

__all__ = ["DEMOS", "demo_folder", "is_current", "list_demos"]
