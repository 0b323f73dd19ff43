"""Show report sections in a notebook: Markup as HTML outputs, figures as PNG images.

The report notebooks call ``show(*render.evaluation_sections(...))`` and the like, so a
notebook shows exactly what the command line's pages show. Figures go out as ``image/png``
(not as HTML with a data URI), which nbconvert embeds as static images and keeps under HTML
sanitizing; a plain string is shown escaped, as text (``html.section_html``).
"""

from __future__ import annotations

from typing import Any

from .html import figure_png, section_html


def show(*sections: Any) -> None:
    """Display each section: Markup (or an escaped string) as HTML, a matplotlib figure as a PNG with its label as alt text."""
    from IPython.display import HTML, Image, display

    for section in sections:
        if isinstance(section, str):
            display(HTML(str(section_html(section))))
        else:
            display(Image(data=figure_png(section), format="png", metadata={"alt": section.get_label() or "figure"}))
