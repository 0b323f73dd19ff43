"""Notebook parameters: what a report notebook declares, and checking what a caller passes in.

A report notebook declares its parameters in the one cell tagged ``parameters``, with working
defaults (``seed = 0``). papermill injects overrides as source code after that cell, and it
checks neither names nor types: a name is pasted into the code as it is (``Translator.assign``
writes ``f"{name} = {value}"``, so a name can carry code), and an unknown name only logs a
warning (papermill 2.7 ``execute.py``). This module closes both gaps before papermill runs:
every name must be an identifier that the parameters cell declares, and every value must be
plain data (str, int, float, bool, None, lists and dicts of them) of the default's type.

Checked: papermill's ``inspect_notebook`` reads the declared names and default source text;
``ast.literal_eval`` turns a default into its value (it evaluates literals only, never code);
``yaml.safe_load`` reads ``-f`` files and typed ``-p`` values, as papermill's own CLI does.
"""

from __future__ import annotations

import ast
import keyword
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ParameterError

PLAIN_SCALARS = (str, int, float, bool, type(None))


def require_notebook_extra() -> None:
    """A one-line error, not an ImportError, when the report tools are not installed."""
    import importlib.util

    missing = [name for name in ("papermill", "nbformat", "nbconvert", "nh3", "yaml") if importlib.util.find_spec(name) is None]
    if missing:
        raise ParameterError(f"reports need {', '.join(missing)}; install the notebook extra: pip install 'workbench[notebook]'")


def declared_parameters(notebook: str | os.PathLike[str]) -> dict[str, Any]:
    """The parameters ``notebook`` declares in its ``parameters`` cell, with their default values."""
    require_notebook_extra()
    import nbformat
    import papermill

    path = Path(notebook)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ParameterError(f"notebook not found: {notebook}; give the path of an .ipynb file, e.g. notebooks/evaluate.ipynb")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises several kinds for a broken file
        raise ParameterError(f"{notebook} is not a readable notebook ({type(exc).__name__}); open and re-save it in Jupyter") from None
    if not any("parameters" in cell.metadata.get("tags", ()) for cell in nb.cells):
        raise ParameterError(f"{notebook} has no cell tagged 'parameters'; tag the cell that holds the defaults (View > Cell toolbar > Tags)")
    declared = {}
    for name, spec in papermill.inspect_notebook(str(path)).items():
        try:
            declared[name] = ast.literal_eval(spec["default"])
        except (ValueError, SyntaxError):
            raise ParameterError(f"{notebook}: the default of parameter {name!r} is not a literal ({spec['default']}); write a plain value there") from None
    return declared


def _check_plain(name: str, value: Any) -> None:
    if isinstance(value, PLAIN_SCALARS):
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_plain(name, item)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ParameterError(f"parameter {name!r} has a dict key {key!r} that is not a string; use string keys")
            _check_plain(name, item)
        return
    raise ParameterError(f"parameter {name!r} is a {type(value).__name__}; give a string, number, bool, null, or a list or dict of those")


def _check_type(name: str, value: Any, default: Any) -> Any:
    """``value`` if it has the default's type (an int where a float is declared is fine)."""
    if default is None or value is None:
        return value
    expected = type(default)
    if isinstance(default, bool) or isinstance(value, bool):
        ok = isinstance(value, bool) and isinstance(default, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float))
    elif isinstance(default, (list, tuple)):
        ok = isinstance(value, (list, tuple))
        value = list(value) if ok else value
    else:
        ok = isinstance(value, expected)
    if not ok:
        raise ParameterError(f"parameter {name!r} must be of type {expected.__name__}, like its default {default!r}; got {value!r}")
    return value


def check_parameters(notebook: str | os.PathLike[str], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``parameters`` against ``notebook``'s declarations; return every parameter's value.

    A name that is not an identifier, or that the parameters cell does not declare, raises
    ParameterError naming the valid names; so does a value of another type than its default.
    The result merges the defaults with ``parameters`` (the values the notebook will run with).
    """
    declared = declared_parameters(notebook)
    valid = ", ".join(declared) or "(none)"
    for name in parameters:
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ParameterError(f"parameter name {str(name)!r} is not a Python identifier; valid names: {valid}")
        if name not in declared:
            raise ParameterError(f"unknown parameter {name!r} for {Path(notebook).name}; valid names: {valid}")
    effective = dict(declared)
    for name, value in parameters.items():
        _check_plain(name, value)
        effective[name] = _check_type(name, value, declared[name])
    return effective


def parse_cli_parameters(notebook: str | os.PathLike[str], pairs: Sequence[tuple[str, str]], files: Sequence[str | os.PathLike[str]] = ()) -> dict[str, Any]:
    """Parameters from ``-f`` YAML files (in order) then ``-p NAME VALUE`` pairs (last wins).

    A ``-p`` value stays text where the default is text, so ``-p model 1234`` is the string
    "1234" (papermill's CLI would make it an int); elsewhere it is read as YAML, so
    ``-p n 5``, ``-p methods "[lime, shap]"`` and ``-p num_samples null`` give 5, a list and None.
    """
    import yaml

    declared = declared_parameters(notebook)
    parameters: dict[str, Any] = {}
    for file in files:
        try:
            loaded = yaml.safe_load(Path(file).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ParameterError(f"cannot read parameters file {file}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise ParameterError(f"parameters file {file} is not valid YAML ({str(exc).splitlines()[0]}); fix it or pass -p NAME VALUE") from None
        if loaded is None:
            continue
        if not isinstance(loaded, Mapping):
            raise ParameterError(f"parameters file {file} must hold a mapping of NAME: VALUE, not a {type(loaded).__name__}")
        parameters.update(loaded)
    for name, text in pairs:
        if isinstance(declared.get(name), str):
            parameters[name] = text
            continue
        try:
            parameters[name] = yaml.safe_load(text)
        except yaml.YAMLError:
            raise ParameterError(f"value of -p {name} is not a valid literal: {text!r}; quote text, or write a number, true/false, null or [a, b]") from None
    return parameters
