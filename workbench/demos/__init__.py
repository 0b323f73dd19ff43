"""Building the demo models: the builders (``build``) and the seeded fine-tuning loop they use (``finetune``).

Their recipes, hashes and folders are ``models.demos``, which imports no torch, so that resolving ``demo:NAME``
needs nothing from here.
"""
