"""Benchmarks (``make bench``): inference against the pipeline and the matmul peak (``inference``),
and explanations against the lime and shap README usage, with every method's quality (``explanations``)."""
