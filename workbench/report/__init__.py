"""Reports: run a parameterized notebook with papermill into a folder with its HTML and manifest.

* ``runner``      ``run_report``, ``record_results`` (called inside a notebook), ``write_index``
* ``parameters``  the notebook's declared parameters and the checks on what a caller passes
* ``manifest``    provenance for manifest.json: environment, git state, model and data hashes
"""

from .runner import Report, record_results, run_report, write_index

__all__ = ["Report", "record_results", "run_report", "write_index"]
