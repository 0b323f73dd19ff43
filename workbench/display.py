"""Show report sections in a notebook: HTML strings as HTML outputs, figures as PNG images.

The report notebooks call ``show(*render.evaluation_sections(...))`` and the like, so a
notebook shows exactly what the command line's pages show. Figures go out as ``image/png``
(not as HTML with a data URI), which nbconvert embeds as static images and keeps under HTML
sanitizing; the HTML is the workbench's own, with every text escaped (``render``).
"""

from __future__ import annotations

from typing import Any

from .render import figure_png


def show(*sections: Any) -> None:
    """Display each section: an HTML string, or a matplotlib figure as a PNG with its label as alt text."""
    from IPython.display import HTML, Image, display

    for section in sections:
        if isinstance(section, str):
            display(HTML(section))
        else:
            display(Image(data=figure_png(section), format="png", metadata={"alt": section.get_label() or "figure"}))
