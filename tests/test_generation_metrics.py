"""Generation scores equal rouge-score's and sacrebleu's own, recomputed independently."""

from __future__ import annotations

import pytest

from workbench.errors import ParameterError
from workbench.statistics.generation_metrics import generation_scores


def test_every_figure_equals_the_reference_libraries():
    import sacrebleu
    from rouge_score import rouge_scorer

    predictions = ["Court rejects tobacco case", "Shares rise as profits beat forecasts", "Team wins the cup final"]
    references = [["Court rejects $280bn tobacco case"], ["Profits beat forecasts", "Shares rise on profits"], ["Cup final won by the team"]]
    scores = generation_scores(predictions, references, seed=0)
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"], use_stemmer=True)
    for name in ("rouge1", "rouge2", "rougeL", "rougeLsum"):
        expected = [max(scorer.score(r, p)[name].fmeasure for r in refs) for p, refs in zip(predictions, references)]
        assert [row[name] for row in scores["per_document"]] == pytest.approx(expected)
        assert scores[name] == pytest.approx(sum(expected) / 3) and scores["ci"][name].low <= scores[name] <= scores["ci"][name].high
    streams = [[refs[0] for refs in references], [refs[1] if len(refs) > 1 else None for refs in references]]
    assert scores["bleu"] == pytest.approx(sacrebleu.corpus_bleu(predictions, streams).score)
    assert scores["chrf"] == pytest.approx(sacrebleu.corpus_chrf(predictions, streams).score)
    assert scores["signatures"]["bleu"] == "nrefs:var|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"  # 1 or 2 references
    assert "|nc:6|nw:0|space:no|version:2.6.0" in scores["signatures"]["chrf"]  # chrF: character 6-grams, no word n-grams
    for name in ("bleu", "chrf", "length_ratio"):
        assert scores["ci"][name].low <= scores[name] <= scores["ci"][name].high
    assert scores == generation_scores(predictions, references, seed=0)  # the same seed, the same intervals


def test_mismatched_or_missing_references_are_one_line_errors():
    with pytest.raises(ParameterError, match="2 predictions for 1 reference sets"):
        generation_scores(["a", "b"], [["a"]])
    with pytest.raises(ParameterError, match="at least one reference"):
        generation_scores(["a"], [[]])
