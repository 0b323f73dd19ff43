"""The audit page's sections: membership inference, split duplicates, memorization and counterfactual bias."""

from __future__ import annotations

from collections.abc import Sequence

from ..records import ConfidenceInterval
from ..records.audit import Audit, MemorizedSpan
from .figures import roc_figure
from .html import Section, page_html, prose_html, table_html

LISTED = 20  # rows shown of a long list (duplicate pairs, memorized spans); audit.json holds them all


def interval(ci: ConfidenceInterval | None) -> str:
    """``low to high`` of an interval, or a dash where none exists."""
    return "-" if ci is None else f"{ci.low:.4f} to {ci.high:.4f}"


def spans_table(spans: Sequence[MemorizedSpan]) -> Section:
    """The first memorized spans, each with the training example that holds it."""
    rows = [{"example": s.id, "training example": s.training_id, "words": s.words,
             "whole reference": "yes" if s.whole_reference else "", "span": s.span} for s in spans[:LISTED]]
    return table_html(rows) if rows else prose_html("none")


def audit_sections(audit: Audit) -> list[Section]:
    """The page of an audit, in the order a review board reads it: the setting, what does not apply, then each audit."""
    reference = f" · reference model {audit.reference}" if audit.reference else ""
    sections: list[Section] = [
        prose_html(f"model {audit.model} ({audit.task}) · training examples {audit.members} · held-out examples "
                   f"{audit.non_members} · {audit.sample} of each, drawn with seed {audit.seed}{reference}",
                   css="wb-meta"),
        *[prose_html(f"Does not apply: {line}.") for line in audit.not_applicable],
    ]
    duplicates = audit.duplicates
    sections += [
        prose_html(f"{len(duplicates.exact)} of the {duplicates.probes} held-out examples copy a training example word "
                   f"for word ({100 * duplicates.exact_rate:.1f} %) and {len(duplicates.near)} nearly "
                   f"({100 * duplicates.near_rate:.1f} %: Jaccard similarity of {duplicates.shingle}-word shingles "
                   f"of at least {duplicates.threshold}). They inflate test scores and memorization alike, so the "
                   f"{audit.dropped} are left out of the held-out sample below.", "Duplicates between the splits"),
        table_html([{"held-out example": probe, "training example": ref, "kind": "exact", "Jaccard": 1.0}
                    for probe, ref in duplicates.exact[:LISTED]]
                   + [{"held-out example": probe, "training example": ref, "kind": "near", "Jaccard": similarity}
                      for probe, ref, similarity in duplicates.near[:LISTED]]),
    ]
    if audit.membership:
        rows = [{"attack": a.attack, "AUC": a.auc, "AUC 95% CI": interval(a.auc_interval),
                 "TPR at 1% FPR": a.tpr_at_1pct_fpr, "95% CI": interval(a.tpr_at_1pct_fpr_interval),
                 "TPR at 0.1% FPR": a.tpr_at_0_1pct_fpr, "0.1% 95% CI": interval(a.tpr_at_0_1pct_fpr_interval)}
                for a in audit.membership]
        sections += [
            prose_html("Can an attacker tell the training examples from held-out ones by the model's loss? An AUC of "
                       "0.5 is a coin toss; the true-positive rate at a low false-positive rate is the share of "
                       "training examples an attacker exposes while wrongly accusing almost no one. With "
                       f"{audit.sample} held-out examples, a false-positive rate below {1 / audit.sample:.4f} cannot "
                       "be told from none.", "Membership inference"),
            table_html(rows),
            roc_figure(audit.membership, model=audit.model),
        ]
    if audit.memorization is not None:
        m = audit.memorization
        sections += [
            prose_html(f"The share of outputs that hold {m.ngram} words in a row of a training text not in their own "
                       f"source, or a whole training reference of {m.min_words} words or more: on training sources, "
                       "and on held-out ones as the baseline.", "Memorization"),
            table_html([
                {"sources": "training", "outputs": m.members, "memorization rate": m.memorization_rate,
                 "95% CI": interval(m.memorization_rate_interval), "whole reference": m.whole_reference_rate},
                {"sources": "held-out", "outputs": m.non_members, "memorization rate": m.held_out_memorization_rate,
                 "95% CI": interval(m.held_out_memorization_rate_interval),
                 "whole reference": m.held_out_whole_reference_rate},
            ]),
            prose_html(None, "Memorized spans on training sources", level=3), spans_table(m.member_spans),
            prose_html(None, "Memorized spans on held-out sources", level=3), spans_table(m.held_out_spans),
        ]
    sections += [prose_html("E-mail addresses, phone numbers, card numbers that pass the Luhn check, IBANs and IP "
                            "addresses, found by Presidio's recognizers; the values are not repeated here. With "
                            "--redact (redact=True in Python) every page shows them as placeholders.", "Personal data")]
    for data in audit.personal_data:
        counts = ", ".join(f"{n} {kind}" for kind, n in data.found.items()) or "none"
        sections += [prose_html(f"{data.dataset}: {counts} in {data.examples} examples."),
                     *([table_html([{"example": doc, "field": field, "kind": kind}
                                    for doc, field, kind in data.where[:LISTED]])] if data.where else [])]
    if audit.emitted is not None:
        sections.append(prose_html(
            f"{len(audit.emitted)} outputs on the sampled sources hold personal data their source does not"
            + (": " + ", ".join(f"{doc} ({kind})" for doc, kind in audit.emitted[:LISTED]) if audit.emitted else ".")))
    if audit.bias:
        sections += [
            prose_html("The held-out examples with one group's words swapped for the other's (word list named "
                       "below): how often the prediction changes beyond the swap.", "Counterfactual bias"),
            table_html([{"edit": b.edit, "word list": b.word_list, "edited": b.edited, "changed": b.changed,
                         "change rate": b.change_rate, "95% CI": interval(b.change_rate_interval),
                         **({"chrF": b.chrf, "swap carried": f"{b.carried} of {b.carriable}"}
                            if b.chrf is not None else {})} for b in audit.bias]),
        ]
    return sections


def audit_page(audit: Audit) -> str:
    """audit.html: :func:`audit_sections` as a page."""
    return page_html(f"Audit of {audit.model}", audit_sections(audit))
