"""The workbench's exceptions: one tree, so callers catch the base and tell the leaves apart.

* WorkbenchError       -- any mistake in what the user asked for; the CLI prints it and exits 2
  + DataError          -- a dataset reference, file, column or label that cannot be used
  + ModelError         -- a model reference or folder that cannot (or must not) be loaded
  + ParameterError     -- an option value out of range or of the wrong kind
  + NotebookError      -- a report notebook that failed while it ran (exit 1: its code, not the input)

Every message is one line: what is wrong, the offending value, and the fix.
Bugs are not WorkbenchErrors: they surface as ordinary exceptions (CLI exit 1).
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base class for user-facing errors (bad input, not bugs)."""

    exit_code = 2


class DataError(WorkbenchError):
    """A dataset reference, file, column or label that cannot be used."""


class ModelError(WorkbenchError):
    """A model reference or folder that cannot, or must not, be loaded."""


class ParameterError(WorkbenchError):
    """An option value that is out of range or of the wrong kind."""


class NotebookError(WorkbenchError):
    """A report notebook that failed while it ran; its partly executed copy is kept for debugging."""

    exit_code = 1
