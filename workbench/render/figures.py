"""The figures of the reports, drawn with matplotlib's object API (no pyplot, so a notebook's backend is left alone).

Each takes records (``Attribution``, ``Metrics``, ``Comparison``) and returns a Figure whose
label is its alt text; ``html.figure_html`` embeds one as a PNG, ``display.show`` shows it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from ..personal_data import HIDDEN, shown, shown_spans
from ..records import Attribution, Comparison, Metrics, Reliability
from ..records.audit import MembershipAttack
from ..words import word_spans


def _tight(fig) -> None:
    """``tight_layout``, quietly: long label names (data, not our choice) may not fit, which is no error."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fig.tight_layout()


def _short(label: str, limit: int = 24) -> str:
    """A tick label as it may be shown (``personal_data.shown``), cut to ``limit`` characters, so a long label name
    cannot crowd out the plot."""
    label = shown(label)
    return label if len(label) <= limit else label[: limit - 1] + "…"


def top_words_figure(record: Attribution, k: int = 10):  # -> matplotlib.figure.Figure
    """A horizontal bar chart of the ``k`` words with the largest absolute scores (no pyplot)."""
    import numpy as np
    from matplotlib.figure import Figure

    order = np.argsort(-np.abs(np.asarray(record.scores)), kind="stable")[:k][::-1]
    fig = Figure(figsize=(5, 0.3 * max(len(order), 3) + 1), dpi=72)
    ax = fig.subplots()
    scores = [record.scores[i] for i in order]
    ax.barh(range(len(order)), scores, color=["#dc3c28" if s > 0 else "#286edc" for s in scores])
    words = shown_spans(record.text, word_spans(record.text)[: len(record.words)])  # personal data: placeholders
    ax.set_yticks(range(len(order)), [f"{words[i] or HIDDEN} ({i})" for i in order], fontsize=8)
    ax.axvline(0, color="#444", linewidth=0.8)
    ax.locator_params(axis="x", nbins=4)
    against = f" rather than {shown(record.contrast)}" if record.contrast else ""
    ax.set_title(f"{record.method}: toward {shown(record.target)}{against}", fontsize=9)
    _tight(fig)
    fig.set_label(f"top words, {record.method}")
    return fig


def accuracy_figure(comparison: Comparison):  # -> matplotlib.figure.Figure
    """Accuracy of each model with its bootstrap interval."""
    from matplotlib.figure import Figure

    models = comparison.models
    fig = Figure(figsize=(6, 0.5 * len(models) + 1.2), dpi=100)
    ax = fig.subplots()
    for i, ref in enumerate(models):
        m = comparison.metrics[ref]
        ci = m.ci["accuracy"]
        low, high = (ci.low, ci.high) if ci else (m.accuracy, m.accuracy)
        ax.errorbar(m.accuracy, i, xerr=[[m.accuracy - low], [high - m.accuracy]], fmt="o", capsize=4, color="#286edc")
    ax.set_yticks(range(len(models)), [_short(ref, 32) for ref in models], fontsize=8)
    ax.set_xlabel("accuracy (95 % bootstrap interval)")
    ax.invert_yaxis()
    _tight(fig)
    fig.set_label("accuracy per model")
    return fig


def speed_accuracy_figure(comparison: Comparison):  # -> matplotlib.figure.Figure
    """Documents per second (log scale) against accuracy, one point per model."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.5), dpi=100)
    ax = fig.subplots()
    for ref in comparison.models:
        x, y = comparison.cost[ref].docs_per_s, comparison.metrics[ref].accuracy
        ax.scatter([x], [y], color="#dc3c28")
        ax.annotate(ref, (x, y), textcoords="offset points", xytext=(5, 5), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("documents per second (log scale)")
    ax.set_ylabel("accuracy")
    _tight(fig)
    fig.set_label("speed against accuracy")
    return fig


def confusion_matrix_figure(metrics: Metrics):  # -> matplotlib.figure.Figure
    """The confusion matrix (scikit-learn's ConfusionMatrixDisplay), rows gold, columns predicted."""
    import numpy as np
    from matplotlib.figure import Figure
    from sklearn.metrics import ConfusionMatrixDisplay

    labels = metrics.confusion_matrix["labels"]
    size = max(4.0, 0.9 * len(labels) + 2)
    fig = Figure(figsize=(size, size), dpi=100)  # no pyplot: leaves a notebook's backend alone
    ax = fig.subplots()
    ConfusionMatrixDisplay(np.array(metrics.confusion_matrix["matrix"]), display_labels=[_short(str(label)) for label in labels]).plot(
        ax=ax, cmap="Blues", colorbar=False, xticks_rotation=45
    )
    ax.set_title(f"{_short(metrics.model, 48)} on {_short(metrics.data, 48)}\naccuracy {metrics.accuracy:.3f}, n = {metrics.n}", fontsize=9)
    _tight(fig)
    fig.set_label("confusion matrix")
    return fig


def reliability_figure(reliability: Reliability, *, model: str, data: str,
                       confidence: str = "confidence (the predicted label's probability)",
                       right: str = "accuracy"):  # -> matplotlib.figure.Figure
    """A reliability diagram: each bin's accuracy at its mean confidence with the bootstrap band, against the diagonal
    of a calibrated model, over the bins' row counts (labelled), so a bin of three rows is not read like one of three
    hundred.

    Checked: scikit-learn's ``CalibrationDisplay`` draws one binary curve with neither counts nor a band.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.5, 5.2), dpi=100)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    shown = [b for b in range(reliability.bins) if reliability.counts[b]]
    x = [reliability.confidence[b] for b in shown]
    y = [reliability.accuracy[b] for b in shown]
    banded = [b for b in shown if reliability.low[b] is not None]
    top.plot([0, 1], [0, 1], linestyle="--", color="#888", linewidth=1, label="calibrated")
    top.vlines([reliability.confidence[b] for b in banded], [reliability.low[b] for b in banded],
               [reliability.high[b] for b in banded], color="#286edc", alpha=0.35, linewidth=6,
               label=f"{100 * reliability.level:.0f} % bootstrap band")
    top.plot(x, y, marker="o", color="#286edc", label=right)
    top.set_xlim(0, 1)
    top.set_ylim(-0.02, 1.02)
    top.set_ylabel(right)
    top.set_title(f"{_short(model, 48)} on {_short(data, 48)}\n"
                  f"ECE {reliability.ece:.3f} over {reliability.bins} bins, n = {sum(reliability.counts)}", fontsize=9)
    top.legend(fontsize=8, loc="upper left")
    edges, width = reliability.edges, 1 / reliability.bins
    centres = [edges[b] + width / 2 for b in range(reliability.bins)]
    bars = bottom.bar(centres, reliability.counts, width=width * 0.9, color="#999")
    bottom.bar_label(bars, labels=[str(c) if c else "" for c in reliability.counts], fontsize=7)
    bottom.set_ylabel("rows")
    bottom.set_xlabel(confidence)
    bottom.margins(y=0.25)
    _tight(fig)
    fig.set_label("reliability diagram")
    return fig


def roc_figure(attacks: Sequence[MembershipAttack], *, model: str):  # -> matplotlib.figure.Figure
    """The ROC curves of membership attacks, linear and on log-log axes: an attack that matters catches members where
    almost no non-member is accused, the corner the log axes open up (Carlini et al. 2022, fig. 1)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4.2), dpi=100)
    linear, logarithmic = fig.subplots(1, 2)
    for ax in (linear, logarithmic):
        ax.plot([0, 1], [0, 1], linestyle="--", color="#888", linewidth=1, label="guessing")
        for attack in attacks:
            ax.plot(attack.roc_fpr, attack.roc_tpr, drawstyle="steps-post",
                    label=f"{attack.attack} attack, AUC {attack.auc:.3f}")
        ax.set_xlabel("false-positive rate (non-members accused)")
        ax.set_ylabel("true-positive rate (members caught)")
    floor = 1 / max(a.non_members for a in attacks) if attacks else 1e-3
    logarithmic.set_xscale("log")
    logarithmic.set_yscale("log")
    logarithmic.set_xlim(floor / 2, 1)
    logarithmic.set_ylim(floor / 2, 1.05)
    linear.legend(fontsize=8, loc="lower right")
    fig.suptitle(f"membership inference on {_short(model, 48)}", fontsize=10)
    _tight(fig)
    fig.set_label("membership attack ROC curves")
    return fig
