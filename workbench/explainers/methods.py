"""The explanation methods by name, and which of them a model can run."""

from __future__ import annotations

from ..errors import ParameterError, WorkbenchError
from ..records import Classifier
from .base import Explainer
from .gradients import GradientXInputExplainer, IntegratedGradientsExplainer
from .lime import LimeExplainer
from .occlusion import OcclusionExplainer
from .shap import ShapExplainer

METHODS: dict[str, type[Explainer]] = {
    cls.name: cls
    for cls in (LimeExplainer, ShapExplainer, IntegratedGradientsExplainer, GradientXInputExplainer, OcclusionExplainer)
}


def check_method(method: str) -> type[Explainer]:
    """The explainer class of ``method``; a one-line error lists the methods otherwise."""
    cls = METHODS.get(method)
    if cls is None:
        raise ParameterError(f"unknown explanation method {method!r}; use one of: {', '.join(METHODS)}")
    return cls


def supported_methods(model: Classifier) -> list[str]:
    """The methods ``model`` can run, in ``METHODS`` order (no gradients without a network or under int8)."""
    supported = []
    for name, cls in METHODS.items():
        try:
            cls(model)
        except WorkbenchError:
            continue
        supported.append(name)
    return supported
