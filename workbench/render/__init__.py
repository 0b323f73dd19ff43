"""Rendering: safe HTML from Jinja2 templates with autoescape on, matplotlib figures, notebook display.

* ``html``     the template environment, tables, prose, warnings, pages (escaping by default)
* ``figures``  matplotlib figures of attributions, metrics and comparisons
* ``pages``    the evaluation, explanation, comparison and index pages as sections
* ``display``  ``show``: the same sections as notebook outputs
"""
