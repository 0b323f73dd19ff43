"""The public surface: __all__ is sorted and complete, and the light core never imports torch."""

from __future__ import annotations

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


@pytest.mark.parametrize("module", ["workbench", "workbench.records", "workbench.errors", "workbench.io", "workbench.data", "workbench.metrics", "workbench.evaluation", "workbench.faithfulness", "workbench.render", "workbench.words", "workbench.cache", "workbench.parameters", "workbench.report", "workbench.display"])
def test_core_modules_do_not_import_torch(module):
    code = f"import sys, {module}; print('torch' in sys.modules, 'transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False False"
