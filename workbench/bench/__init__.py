"""Benchmarks (``make bench``): inference against the pipeline and the matmul peak (``inference``), explanations
against the lime and shap README usage with every method's quality (``explanations``), question answering (``qa``),
generation (``generation``), Ray (``scaling``) and the corpus map in JupyterLab (``corpus_map``); ``page`` renders
docs/benchmarks.md from their results and ``lab`` drives a notebook in JupyterLab through Chromium."""
