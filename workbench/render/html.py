"""Safe HTML: Jinja2 templates with autoescape on, so escaping is the default and cannot be forgotten.

Every piece of a page (a table, a paragraph, shaded words, a warning, a figure) is a macro of
``templates/parts.html.j2`` that Python calls with plain values; the macro escapes every one
of them and returns ``markupsafe.Markup``. A page (``templates/page.html.j2``) is built from
*sections*: Markup from those macros, or matplotlib figures, embedded as PNG data URIs. A plain
``str`` given as a section is escaped like any other text, never pasted in. Pages carry no
script at all and a Content-Security-Policy that forbids scripts, so even a wrong template
could not run code. Checked: lime's ``as_html`` and ``shap.plots.text`` put feature and class
names unescaped into their pages and scripts (lime 0.2.0.1, shap 0.51), so their HTML is never
embedded here.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

Section = Any  # Markup from this module, or a matplotlib Figure whose label is its alt text

TEMPLATES = Path(__file__).parent / "templates"
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 75rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; display: block; overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.wb-words { line-height: 1.9; }
.wb-words span { padding: 0.1rem 0.15rem; border-radius: 0.2rem; }
.wb-doc { border-top: 1px solid #ddd; padding-top: 0.5rem; margin-top: 1rem; }
.wb-meta { color: #555; font-size: 0.9rem; }
.wb-unseen { color: #999; }
.wb-stop { color: #b00; font-size: 0.85rem; }
.wb-flag { color: #b00; font-weight: 600; }
.wb-answer { outline: 2px solid #222; border-radius: 0.2rem; }
.wb-heatmap td { padding: 0.1rem 0.35rem; font-size: 0.8rem; }
.wb-heatmap th { font-weight: 500; font-size: 0.85rem; }
"""
UNSEEN_STYLE = "color:#999"  # inline too, for HTML shown without the page's style sheet (the explorer)
FLAG_STYLE = "color:#b00"

__all__ = ["CSP", "STYLE", "Markup", "Section", "escape", "figure_html", "flag_html", "fragment_html", "listing_html",
           "page_html", "prose_html", "table_html"]


@cache
def environment():  # -> jinja2.Environment
    """The one Jinja2 environment: templates of this folder, autoescape on, undefined names an error."""
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def part(name: str) -> Any:
    """A macro of ``parts.html.j2``; calling it returns escaped Markup."""
    return getattr(environment().get_template("parts.html.j2").module, name)


def cell(value: Any) -> tuple[str, bool]:
    """A table cell's text and whether it is a number: floats to 4 decimals, None as a dash."""
    if value is None:
        return "-", True
    if isinstance(value, float):
        return f"{value:.4f}", True
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value), True
    return str(value), False


def shade(score: float, scale: float) -> str:
    """A word's background for ``score``: red toward the target, blue against it; opacity by magnitude (numbers only)."""
    alpha = 0.0 if scale == 0 else min(1.0, abs(score) / scale)
    rgb = "220,60,40" if score > 0 else "40,110,220"
    return f"rgba({rgb},{alpha:.3f})"


def table_html(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> Markup:
    """A table of ``rows`` (dicts), one column per key of the first row or per ``columns``."""
    columns = list(columns or (rows[0].keys() if rows else []))
    return part("table")(columns, [[cell(row.get(c)) for c in columns] for row in rows])


def prose_html(text: str | None, heading: str | None = None, *, level: int = 2, css: str | None = None) -> Markup:
    """An optional heading and a paragraph of plain text (both escaped)."""
    return part("prose")(text, heading, level, css)


def flag_html(text: str) -> Markup:
    """A warning paragraph, styled inline too so it shows in the explorer."""
    return part("flag")(text, FLAG_STYLE)


def figure_png(fig) -> bytes:
    """A matplotlib figure as PNG bytes (stable: no timestamp or software tag)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def figure_html(fig) -> Markup:
    """A figure as an ``<img>`` with a PNG data URI, its label as alt text."""
    return part("figure")(fig.get_label(), "data:image/png;base64," + base64.b64encode(figure_png(fig)).decode("ascii"))


def section_html(section: Section) -> Markup:
    """A section as Markup: a figure becomes an ``<img>``; a plain string is escaped."""
    if isinstance(section, str):
        return escape(section)
    return figure_html(section)


def fragment_html(sections: Iterable[Section]) -> str:
    """The sections as one HTML fragment, for a notebook's ``_repr_html_`` (figures as PNG data URIs)."""
    return "\n".join(str(section_html(s)) for s in sections)


def listing_html(model: str, data: str, rows: Sequence[Mapping[str, Any]], total: int) -> Markup:
    """The first ``rows`` of a model's ``total`` predictions on ``data``, under a line that says which and how many."""
    note = prose_html(f"model {model} · data {data} · the first {len(rows)} of {total} rows", css="wb-meta")
    return note + table_html(rows)


def page_html(title: str, sections: Iterable[Section]) -> str:
    """A complete, script-free HTML page: ``title``, then ``sections``."""
    return environment().get_template("page.html.j2").render(title=title, sections=[section_html(s) for s in sections], csp=CSP, style=STYLE)
