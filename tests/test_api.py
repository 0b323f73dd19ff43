"""The public surface: __all__ is sorted and complete, and the light core never imports torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import workbench


def test_all_is_sorted_and_resolvable():
    assert workbench.__all__ == sorted(workbench.__all__)
    for name in workbench.__all__:
        assert getattr(workbench, name) is not None


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        workbench.nope  # noqa: B018


LIGHT_CORE = ["workbench", "workbench.records", "workbench.errors", "workbench.io", "workbench.words", "workbench.reading", "workbench.datasets",
              "workbench.datasets.streaming",
              "workbench.provenance", "workbench.models", "workbench.models.options", "workbench.models.demos", "workbench.statistics.metrics",
              "workbench.statistics.faithfulness", "workbench.statistics.paired", "workbench.statistics.perturbations", "workbench.render.html",
              "workbench.render.pages", "workbench.render.display", "workbench.explainers", "workbench.explainers.cache",
              "workbench.studies.prediction", "workbench.studies.evaluation", "workbench.studies.comparison", "workbench.report", "workbench.report.parameters", "workbench.cli"]


@pytest.mark.parametrize("module", LIGHT_CORE)
def test_core_modules_do_not_import_torch(module):
    """Importing any of these loads neither torch nor transformers (they load when a model does)."""
    code = f"import sys, {module}; print('torch' in sys.modules, 'transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False False"


def test_importing_workbench_changes_nothing_in_the_process():
    """No environment variable, umask or logging handler outside the package's own logger changes on import."""
    code = ("import os, logging, json; env = dict(os.environ); mask = os.umask(0o022); os.umask(mask); handlers = list(logging.getLogger().handlers)\n"
            "import workbench, workbench.io, workbench.models, workbench.cli, workbench.studies.evaluation\n"
            "after = os.umask(0o022); os.umask(after)\n"
            "print(json.dumps([dict(os.environ) == env, after == mask, list(logging.getLogger().handlers) == handlers]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env={k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TOKENIZERS_PARALLELISM")}).stdout
    assert json.loads(out) == [True, True, True]


def test_verbs_stay_verbs_after_their_modules_are_imported():
    """A submodule named like a lazily exported verb would replace the verb on the package after its first import."""
    import importlib
    import pkgutil

    for info in pkgutil.walk_packages(workbench.__path__, "workbench."):
        importlib.import_module(info.name)
    for name in workbench.__all__:
        value = getattr(workbench, name)
        assert not isinstance(value, type(workbench)), f"workbench.{name} is a module, not the exported {name}"
    for package in ("studies", "statistics", "models", "render", "report", "explainers", "demos", "bench", "records"):
        module = importlib.import_module(f"workbench.{package}")
        for name in getattr(module, "__all__", []):
            assert not isinstance(getattr(module, name), type(workbench)), f"workbench.{package}.{name} is a module"
