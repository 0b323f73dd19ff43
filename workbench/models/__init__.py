"""Models: load one by reference, with one ``LoadOptions`` record, behind the Classifier protocol.

* ``options``       LoadOptions and the names each option accepts (no torch)
* ``folders``       where a reference points; the safe-folder checks (safetensors, no remote code)
* ``loader``        ``load_model``: a transformer or a scikit-learn model
* ``transformer``   a transformers sequence classifier
* ``scikit_learn``  a scikit-learn pipeline saved with skops
* ``engine``        batched inference by token budget, streaming, in input order
* ``device``        the torch device and numeric precision
* ``onnx_runtime``  ONNX Runtime as a backend
* ``calibration``   which backend ``auto`` runs: the faster exact one on this machine, measured once

Importing this package imports neither torch nor transformers; loading a transformer does.
"""

from .folders import DEMO_PREFIX, resolve_model_folder
from .loader import as_model, load_model
from .options import BACKENDS, DEVICES, LONG_TEXT_MODES, PRECISIONS, LoadOptions

__all__ = ["BACKENDS", "DEMO_PREFIX", "DEVICES", "LONG_TEXT_MODES", "PRECISIONS", "LoadOptions", "as_model", "load_model", "resolve_model_folder"]
