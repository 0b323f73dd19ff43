"""Run a parameterized notebook into a report folder, and link report folders from an index page.

``run_report`` is ``workbench report``: it checks the parameters against the notebook's
``parameters`` cell (``parameters``), hashes the model and data it names (``manifest``),
executes the notebook with papermill in the ``workbench`` kernel with a per-cell timeout and
the report folder as working directory, exports it with nbconvert as HTML without input cells,
sanitized and without scripts, and writes ``manifest.json``. The notebook itself writes
``metrics.json`` through :func:`record_results`, with deterministic content only; what varies
between runs (timings) goes into the manifest.

Checked: papermill (execution, injection, errors as ``PapermillExecutionError``), nbconvert's
``HTMLExporter`` (``exclude_input``, ``sanitize_html`` with its ``clean_html`` filter, template
inheritance) and nh3 (the allowlist; bleach, which nbconvert's own filter used, is deprecated
upstream) do the work; written here is only the checking before papermill runs (it does not
validate names), the manifest and the script-free template.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import NotebookError, ParameterError
from ..io import atomic_open, write_json
from ..personal_data import ENVIRONMENT
from ..records.rows import Rows, parse_cuts

KERNEL = "workbench"
TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = "workbench-report"
RESULTS_FILE = ".workbench-results.json"  # headline and timings, from the notebook to the manifest
MODEL_PARAMETERS = ("model", "models", "reference")  # "" leaves one out (the audit's reference, members, ...)
DATA_PARAMETERS = ("data", "members", "non_members")
# What the report HTML keeps of HTML outputs and markdown: tables, headings, text styling, links
# and shaded words; anything else (scripts, images with remote sources, event handlers) is removed.
ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "div", "em", "h1", "h2", "h3", "h4", "hr", "i", "li", "ol",
    "p", "pre", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
ALLOWED_ATTRIBUTES = {"*": {"class", "title"}, "a": {"href", "title", "class", "download"},
                      "span": {"class", "title", "style"}, "p": {"class", "title", "style"},
                      "td": {"class", "title", "style"},
                      **{h: {"id", "class"} for h in ("h1", "h2", "h3", "h4")}}
# the shading of words and heatmap cells, the grey of unread words, the red of warnings
ALLOWED_CSS = {"background-color", "color"}


@dataclass(frozen=True)
class Report:
    """A finished report: its folder, the executed notebook, its HTML and the manifest's content."""

    out: Path
    notebook: Path
    html: Path
    manifest: dict[str, Any]


def record_results(metrics: Mapping[str, Any], *, headline: Mapping[str, Any] | None = None, timings: Mapping[str, Any] | None = None,
                   folder: str | os.PathLike[str] = ".") -> None:
    """Write ``metrics.json`` from inside a report notebook, and hand headline and timings to the runner.

    ``metrics`` must be the same for the same inputs and seed (no timings, no dates), so two
    runs of a report give byte-identical files. ``headline`` (a few numbers for the index page)
    and ``timings`` go into manifest.json.
    """
    folder = Path(folder)
    write_json(folder / "metrics.json", dict(metrics))
    write_json(folder / RESULTS_FILE, {"headline": dict(headline or {}), "timings": dict(timings or {})})


def as_reference(name: str, value: Any) -> Any:
    """A parameter value a notebook can receive: a loaded model becomes its reference, a Dataset its name.

    A report notebook runs in its own kernel, so it gets references and loads them itself; a
    model or dataset that has none (built in memory) is a one-line error that says how to save it.
    """
    if isinstance(value, list):
        return [as_reference(name, item) for item in value]
    if isinstance(value, Rows):  # every task's dataset record
        from ..datasets.loading import BUILTINS

        base = parse_cuts(value.name)[0]  # a cut dataset loads again from its name (``bbc-news:test[0:20]``)
        if base.partition(":")[0] in BUILTINS or Path(base).is_file():
            return value.name
        raise ParameterError(f"parameter {name!r}: dataset {value.name!r} was built in memory; write it to a .jsonl or .csv file and pass its path")
    from ..models.loader import is_loaded_model

    if is_loaded_model(value):
        return value.ref
    return value


def _absolute(value: Any) -> Any:
    """A reference that names an existing path, made absolute (the notebook runs in the report folder)."""
    if isinstance(value, list):
        return [_absolute(item) for item in value]
    return str(Path(value).resolve()) if isinstance(value, str) and value and Path(value).exists() else value


def _inputs(parameters: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Provenance of every model and dataset the parameters name; a bad reference raises its one-line error."""
    from .manifest import data_provenance, model_provenance

    def refs(names: tuple[str, ...]) -> list[str]:
        found: list[str] = []
        for name in names:
            value = parameters.get(name)
            given = value if isinstance(value, list) else [] if value in (None, "") else [value]
            found.extend(str(v) for v in given)
        return found

    return {"models": [model_provenance(r) for r in refs(MODEL_PARAMETERS)], "data": [data_provenance(r) for r in refs(DATA_PARAMETERS)]}


def kernel_python(kernel: str) -> str:
    """The Python that Jupyter kernel ``kernel`` starts; a one-line error when it is missing or broken."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    fix = f"run `python -m ipykernel install --sys-prefix --name {kernel}` in the workbench's environment (make install does)"
    try:
        spec = KernelSpecManager().get_kernel_spec(kernel)
    except NoSuchKernel:
        raise ParameterError(f"Jupyter kernel {kernel!r} is not installed; {fix}") from None
    if not Path(spec.argv[0]).exists():
        raise ParameterError(f"Jupyter kernel {kernel!r} starts {spec.argv[0]}, which does not exist; {fix}")
    return spec.argv[0]


def ipc_kernel_manager():  # -> type[jupyter_client.AsyncKernelManager]
    """A kernel manager that connects over IPC sockets in Jupyter's runtime folder, not localhost TCP.

    No port races between reports run side by side (papermill#511), and no plain-TCP warning
    from ipykernel 7 on every run. IPC sockets exist on POSIX only, and their paths are short;
    elsewhere, or under a long runtime folder, TCP stays.
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.paths import jupyter_runtime_dir
    from traitlets import CaselessStrEnum

    usable = os.name == "posix" and len(jupyter_runtime_dir()) <= 60  # a socket path holds at most ~107 bytes

    class IPCKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc" if usable else "tcp", config=True)

    return IPCKernelManager


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def clean_html(element: Any) -> str:
    """nbconvert's ``clean_html`` filter with the workbench's allowlist, by nh3 (ammonia).

    nbconvert's own list drops table headers, headings, paragraphs and every style, so the
    workbench's tables and shaded words would come out as escaped text. Only the CSS
    properties in ``ALLOWED_CSS`` survive in a style attribute; scripts, event handlers and
    their content are removed.
    """
    import nh3

    text = element.decode() if isinstance(element, bytes) else str(element)
    return nh3.clean(text, tags=set(ALLOWED_TAGS), attributes=ALLOWED_ATTRIBUTES, filter_style_properties=ALLOWED_CSS, strip_comments=True,
                     clean_content_tags={"script", "style"}, link_rel=None)


def export_html(executed: str | os.PathLike[str], target: str | os.PathLike[str], title: str) -> Path:
    """Write ``executed`` as a static HTML page: outputs and markdown only, sanitized, no script."""
    import nbformat
    from nbconvert import HTMLExporter

    from ..render.html import CSP, STYLE

    nb = nbformat.read(executed, as_version=4)
    nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name=TEMPLATE, extra_template_basedirs=[str(TEMPLATES)], exclude_input=True, exclude_input_prompt=True,
        exclude_output_prompt=True, sanitize_html=True, filters={"clean_html": clean_html},
    )
    body, _ = exporter.from_notebook_node(nb, resources={"workbench_csp": CSP, "workbench_style": STYLE})
    with atomic_open(target) as handle:
        handle.write(body)
    return Path(target)


@contextmanager
def environment_set(variables: Mapping[str, str]) -> Iterator[None]:
    """``variables`` in this process's environment inside the block (a kernel started there inherits them)."""
    before = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


DATA_URI = re.compile(r"""(data:[\w/+.-]+;base64,[^"'\s)]*)""")  # an embedded figure: never read as text


def redact_outputs(executed: str | os.PathLike[str]) -> dict[str, int]:
    """Redact the personal data every output of ``executed`` still displays (text, HTML, markdown; embedded images
    are left whole) and write it back; return the placeholders its outputs show, by kind."""
    import nbformat

    from ..personal_data import KINDS, placeholder, redact

    def cleaned(text: str) -> str:
        return "".join(part if DATA_URI.fullmatch(part) else redact(part)[0] for part in DATA_URI.split(text))

    nb = nbformat.read(executed, as_version=4)
    shown = Counter[str]()
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = cleaned(output["text"])
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/") and isinstance(value, str):
                    output["data"][mime] = cleaned(value)
            data = output.get("data", {})
            texts = [output.get("text", ""), data.get("text/html") or data.get("text/plain") or ""]  # one view each
            shown.update({kind: sum(t.count(placeholder(kind)) for t in texts) for kind in KINDS.values()})
    nbformat.write(nb, executed)
    return {kind: n for kind, n in sorted(shown.items()) if n}


def run_report(
    notebook: str | os.PathLike[str],
    out: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    *,
    kernel: str = KERNEL,
    timeout: int = 3600,
    start_timeout: int = 120,
    log_output: bool = False,
    redact: bool = False,
) -> Report:
    """Execute ``notebook`` with ``parameters`` into ``out``; return the finished report.

    ``redact=True`` runs the kernel with ``WORKBENCH_REDACT=1``, so every page part and figure it draws shows personal
    data as placeholders (``personal_data``), then redacts whatever text the executed notebook still displays (a
    print, a table of the user's own); the manifest's ``redacted`` counts the placeholders shown, by kind.

    Writes ``out/<stem>.ipynb`` (executed), ``out/<stem>.html``, the files the notebook
    writes (among them ``metrics.json``) and ``out/manifest.json``. Bad parameters, models or
    data raise before anything runs or is written. A cell that fails (or runs past ``timeout``
    seconds) raises NotebookError naming the cell and its error; the partly executed notebook
    and a manifest with ``status: failed`` stay in ``out`` for debugging.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from .manifest import environment
    from .parameters import check_parameters

    notebook, out = Path(notebook), Path(out)
    overrides = {name: as_reference(name, value) for name, value in (parameters or {}).items()}
    effective = check_parameters(notebook, overrides)
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out {out} is a file; give a folder for the report")
    if timeout < 1:
        raise ParameterError(f"timeout must be at least 1 second, got {timeout}")
    inject = {**overrides, **{k: _absolute(v) for k, v in effective.items() if k in MODEL_PARAMETERS + DATA_PARAMETERS}}
    effective.update(inject)
    inputs = _inputs(effective)
    python = kernel_python(kernel)
    stem = notebook.stem
    executed, html, manifest_path, results = out / f"{stem}.ipynb", out / f"{stem}.html", out / "manifest.json", out / RESULTS_FILE
    out.mkdir(parents=True, exist_ok=True)
    for stale in (html, manifest_path, results, out / "metrics.json"):
        stale.unlink(missing_ok=True)
    manifest: dict[str, Any] = {
        "notebook": str(notebook.resolve()),
        "output": executed.name,
        "parameters": effective,
        "overrides": overrides,
        "seeds": {k: v for k, v in effective.items() if k == "seed" or k.endswith("_seed")},
        "inputs": inputs,
        "environment": environment(notebook),
        "kernel": {"name": kernel, "python": python},
        "execution_timeout_s": timeout,
        "started": _now(),
    }
    failure = None
    kernel_environment = {ENVIRONMENT: "1"} if redact else {}
    try:
        with environment_set(kernel_environment):
            papermill.execute_notebook(
                str(notebook), str(executed), parameters=inject, kernel_name=kernel, execution_timeout=timeout,
                start_timeout=start_timeout, cwd=str(out), progress_bar=False, log_output=log_output,
                kernel_manager_class=ipc_kernel_manager(),
            )
    except PapermillExecutionError as exc:
        failure = {"cell": exc.exec_count, "ename": exc.ename, "evalue": exc.evalue or "", "what": f"failed in cell [{exc.exec_count}]"}
    except Exception as exc:  # nbclient's CellTimeoutError and DeadKernelError, and the kernel failing to start
        failure = {"cell": None, "ename": type(exc).__name__, "evalue": str(exc), "what": "did not finish"}
    manifest["finished"] = _now()
    if failure:
        what = failure.pop("what")
        manifest.update(status="failed", error=failure)
        write_json(manifest_path, manifest)
        first = failure["evalue"].strip().splitlines()[0].rstrip(".") if failure["evalue"].strip() else ""
        raise NotebookError(f"{notebook.name} {what}: {failure['ename']}: {first}; the partly executed notebook is {executed}")
    manifest["status"] = "ok"
    if results.exists():
        manifest.update(json.loads(results.read_text(encoding="utf-8")))
        results.unlink()
    if redact:
        manifest["redacted"] = redact_outputs(executed)
    title = f"{stem}: " + ", ".join(f"{k}={v}" for k, v in overrides.items()) if overrides else stem
    export_html(executed, html, title)
    write_json(manifest_path, manifest)
    return Report(out=out, notebook=executed, html=html, manifest=manifest)


def write_index(root: str | os.PathLike[str], title: str = "Workbench reports") -> Path:
    """Write ``root/index.html``: every report folder under ``root`` (one with a manifest.json), linked, with its headline."""
    from ..render.pages import index_page

    root = Path(root)
    entries = []
    for path in sorted(root.glob("*/manifest.json")):
        manifest = json.loads(path.read_text(encoding="utf-8"))
        stem = Path(manifest["output"]).stem
        entries.append({
            "name": path.parent.name,
            "href": f"{path.parent.name}/{stem}.html" if manifest.get("status") == "ok" else f"{path.parent.name}/{stem}.ipynb",
            "notebook": Path(manifest["notebook"]).name,
            "status": manifest.get("status", "?"),
            "parameters": manifest.get("parameters", {}),
            "headline": manifest.get("headline", {}),
            "finished": manifest.get("finished", ""),
        })
    if not entries:
        raise ParameterError(f"no reports under {root} (no */manifest.json); run `workbench report` first")
    target = root / "index.html"
    with atomic_open(target) as handle:
        handle.write(index_page(title, entries))
    return target
