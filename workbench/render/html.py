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

from ..personal_data import shown, shown_spans
from ..words import word_spans

Section = Any  # Markup from this module, or a matplotlib Figure whose label is its alt text

TEMPLATES = Path(__file__).parent / "templates"
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 75rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; display: block; overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.wb-words { line-height: 1.9; }
.wb-words span { padding: 0.1rem 0; }
.wb-doc { border-top: 1px solid #ddd; padding-top: 0.5rem; margin-top: 1rem; }
.wb-meta { color: #555; font-size: 0.9rem; }
.wb-unseen { color: #999; }
.wb-stop { color: #b00; font-size: 0.85rem; }
.wb-flag { color: #b00; font-weight: 600; }
.wb-answer { outline: 2px solid #222; }
.wb-heatmap td { min-width: 1.8rem; height: 1.2rem; padding: 0; border: 1px solid #eee; }
.wb-heatmap th { font-weight: 500; font-size: 0.85rem; }
"""
UNSEEN_STYLE = "color:#999"  # inline too, for HTML shown without the page's style sheet (the explorer)
FLAG_STYLE = "color:#b00"
ANSWER_STYLE = "outline:2px solid #222"

__all__ = ["CSP", "STYLE", "Markup", "Section", "escape", "figure_html", "flag_html", "fragment_html",
           "page_html", "prose_html", "shaded_text_html", "shaded_tokens_html", "table_html"]


@cache
def environment():  # -> jinja2.Environment
    """The one Jinja2 environment: templates of this folder, autoescape on, undefined names an error."""
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, finalize=displayed)


def displayed(value: Any) -> Any:
    """What a template prints of ``value``: a plain text as it may be shown (``personal_data.shown``: redacted while
    a redaction is in force), before autoescape; Markup (a macro's output, a figure's data URI) as it is."""
    return shown(value) if isinstance(value, str) and not isinstance(value, Markup) else value


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


Piece = tuple[str, str, str, str]  # (kind, text, style, title), drawn by the ``text`` macro of parts.html.j2


def word_piece(text: str, score: float, scale: float) -> Piece:
    """One scored word or token: shaded by ``score`` against ``scale``, the score on hover."""
    return ("word", text, f"background-color:{shade(score, scale)}", f"{score:+.4f}")


def shaded_text_html(text: str, scores: Sequence[float], *, scale: float | None = None, stop: str | None = None,
                     answer: tuple[int, int] | None = None, label: str | None = None) -> Markup:
    """``text`` as written, each of its first ``len(scores)`` words shaded over its own characters (hover: the score).

    The characters between words (spaces, and nothing between "Japan", "'" and "s") are kept as
    they are, so the reader sees "Japan's" and "($29bn)" while every symbol keeps a score of its
    own. Words after the scored ones were not read: ``stop`` says so at the point where reading
    stopped and the rest is greyed. ``answer`` frames words ``[first, last)``; ``scale`` is the
    score of full colour (default: the largest magnitude here). Checked: shap's ``plots.text``
    and Captum's ``visualize_text`` join tokens with spaces and paste them unescaped, so they are
    not used.
    """
    spans = word_spans(text)
    words = shown_spans(text, spans)  # a value of personal data: one placeholder, while a redaction is in force
    scale = max((abs(s) for s in scores), default=0.0) if scale is None else scale
    first, last = answer or (-1, -1)
    pieces: list[Piece] = []
    end = 0
    for j, ((a, b), score, word) in enumerate(zip(spans, scores, words)):
        if word is not None:
            pieces.append(("plain", text[end:a], "", ""))
        if j == first:
            pieces.append(("open", "", ANSWER_STYLE, "the answer"))
        if word is not None:
            pieces.append(word_piece(word, score, scale))
        if j + 1 == last:
            pieces.append(("close", "", "", ""))
        end = b
    if len(scores) < len(spans):
        pieces += [("stop", stop or "the model stopped reading here", FLAG_STYLE, "the model read no further"),
                   ("unseen", text[end:], UNSEEN_STYLE, "not read, so not scored")]
    else:
        pieces.append(("plain", text[end:], "", ""))
    return part("text")([p for p in pieces if p[1] or p[0] not in ("plain", "unseen")], label)


def shaded_tokens_html(tokens: Sequence[str], scores: Sequence[float], *, scale: float,
                       label: str | None = None) -> Markup:
    """Tokens (a model's own pieces, not words of a text) each shaded by its score, a space between (hover: the
    score)."""
    pieces: list[Piece] = []
    for k, (token, score) in enumerate(zip(shown_tokens(tokens), scores)):
        if token is not None:
            pieces += [("plain", " ", "", "")] if k else []
            pieces.append(word_piece(token, score, scale))
    return part("text")(pieces, label)


def shown_tokens(tokens: Sequence[str]) -> list[str | None]:
    """Tokens as they may be shown (``personal_data.shown_spans`` over the text they spell): a value of personal data
    spread over several tokens is one placeholder, then None for each of its other tokens."""
    starts = [0]
    for token in tokens:
        starts.append(starts[-1] + len(token))
    return shown_spans("".join(tokens), list(zip(starts[:-1], starts[1:])))


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
        return escape(shown(section))
    return figure_html(section)


def fragment_html(sections: Iterable[Section]) -> str:
    """The sections as one HTML fragment, for a notebook's ``_repr_html_`` (figures as PNG data URIs)."""
    return "\n".join(str(section_html(s)) for s in sections)


def page_html(title: str, sections: Iterable[Section]) -> str:
    """A complete, script-free HTML page: ``title``, then ``sections``."""
    return environment().get_template("page.html.j2").render(title=title, sections=[section_html(s) for s in sections], csp=CSP, style=STYLE)
