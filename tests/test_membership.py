"""Membership audits: the attack figures on known scores, and an attack that finds what a model memorised.

The figures are checked against scikit-learn and hand-worked curves; the attack is shown to detect what it claims to:
a tiny BERT fine-tuned until it memorises random labels gives its training texts away (AUC near 1), while the same
model untrained does not (its interval holds 0.5)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from workbench.errors import DataError, ParameterError
from workbench.models import load_model
from workbench.models.demos import FinetuneConfig
from workbench.records import Dataset
from workbench.statistics.membership import attack_scores, membership_attack, roc, tpr_at_fpr
from workbench.studies.membership import classification_losses, membership_attacks
from workbench.studies.prediction import predict

from .conftest import TINY_WORDS, build_tiny_bert


def test_tpr_at_a_false_positive_rate_is_the_curves_highest_point_left_of_it():
    """Members 0.9, 0.8, 0.7, 0.2; non-members 0.75, 0.5, 0.1, 0.05: a threshold above 0.75 accuses no non-member and
    catches 2 of 4 members; one accusation (25 %) admits 0.75 and 0.7, catching 3."""
    fprs, tprs = roc(np.array([0.9, 0.8, 0.7, 0.2]), np.array([0.75, 0.5, 0.1, 0.05]))
    assert tpr_at_fpr(fprs, tprs, 0.01) == 0.5 and tpr_at_fpr(fprs, tprs, 0.0) == 0.5
    assert tpr_at_fpr(fprs, tprs, 0.25) == 0.75 and tpr_at_fpr(fprs, tprs, 0.49) == 0.75
    assert tpr_at_fpr(fprs, tprs, 0.5) == 1.0


def test_the_attack_figures_agree_with_scikit_learn_and_are_seeded():
    rng = np.random.default_rng(0)
    members, non_members = rng.normal(1.0, 1.0, 400), rng.normal(0.0, 1.0, 300)
    attack = membership_attack("loss", members, non_members, seed=3, n_resamples=200)
    labels = np.r_[np.ones(400), np.zeros(300)]
    assert attack.auc == pytest.approx(roc_auc_score(labels, np.r_[members, non_members]), abs=1e-12)
    assert attack.auc_interval.low < attack.auc < attack.auc_interval.high
    assert 0 <= attack.tpr_at_0_1pct_fpr <= attack.tpr_at_1pct_fpr <= 1
    assert (attack.members, attack.non_members, len(attack.roc_fpr)) == (400, 300, len(attack.roc_tpr))
    assert attack.roc_tpr[0] == attack.tpr_at_0_1pct_fpr and attack.roc_tpr[-1] == 1.0  # the curve at 0 and at 1
    assert attack.to_dict() == membership_attack("loss", members, non_members, seed=3, n_resamples=200).to_dict()
    assert attack.to_dict() != membership_attack("loss", members, non_members, seed=4, n_resamples=200).to_dict()


def test_separated_scores_are_caught_whole_and_equal_ones_are_a_coin_toss():
    caught = membership_attack("loss", np.array([3.0, 4.0, 5.0]), np.array([0.0, 1.0, 2.0]), n_resamples=100)
    assert caught.auc == caught.tpr_at_1pct_fpr == caught.tpr_at_0_1pct_fpr == 1.0
    assert (caught.auc_interval.low, caught.auc_interval.high) == (1.0, 1.0)
    assert membership_attack("loss", np.ones(5), np.ones(7), n_resamples=100).auc == 0.5


def test_the_reference_attack_discounts_what_any_model_finds_easy():
    """Members' losses 0.1 and 1.0 against non-members' 0.2 and 1.1: the loss attack mixes them up (AUC 0.75), but
    a reference model that finds the first of each pair easy too separates them fully."""
    members, non_members = np.array([0.1, 1.0]), np.array([0.2, 1.1])
    loss, reference = membership_attacks(members, non_members, reference=(np.array([0.3, 1.2]), np.array([0.2, 1.1])),
                                         seed=0)
    assert (loss.attack, loss.auc) == ("loss", 0.75)
    assert (reference.attack, reference.auc) == ("reference", 1.0)
    assert attack_scores(members, np.array([0.3, 1.2])) == pytest.approx([0.2, 0.2])


@pytest.mark.parametrize("call, error, message", [
    (lambda: membership_attack("shadow", np.ones(2), np.ones(2)), ParameterError, "unknown membership attack 'shadow'"),
    (lambda: membership_attack("loss", np.ones(0), np.ones(2)), DataError, "no members to audit"),
    (lambda: membership_attack("loss", np.ones(2), np.array([1.0, np.inf])), DataError, "not all finite"),
    (lambda: attack_scores(np.ones(3), np.ones(2)), ParameterError, "2 reference losses for 3 examples"),
])
def test_bad_input_is_one_line_that_names_the_fix(call, error, message):
    with pytest.raises(error, match=message):
        call()


LABELS = tuple(f"label-{i}" for i in range(8))  # eight, so that a non-member's label is rarely guessed by chance


def random_texts(n: int, seed: int) -> Dataset:
    """``n`` texts of eight random tiny-vocabulary words, random labels: nothing to learn, everything to memorise."""
    rng = random.Random(seed)
    texts = tuple(" ".join(rng.choice(TINY_WORDS) for _ in range(8)) for _ in range(n))
    labels = tuple(rng.choice(LABELS) for _ in range(n))
    return Dataset(f"random-{seed}", tuple(f"{seed}-{i}" for i in range(n)), texts, labels, tuple(sorted(set(labels))))


def test_a_model_that_memorised_its_training_set_gives_it_away_and_an_untrained_one_does_not(tmp_path):
    """Fine-tuned on 32 texts with random labels (of eight) until it fits them, a tiny BERT's loss attack tells those
    texts from 32 others of the same kind with an AUC near 1 (0.93 measured); untrained, its interval holds 0.5.

    A confident model still gives a low loss to the non-members whose random label it guesses, so even a perfect fit
    leaves the AUC short of 1."""
    from workbench.demos.finetune import finetune

    untrained = build_tiny_bert(tmp_path / "untrained", num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
                                label2id={name: i for i, name in enumerate(LABELS)})
    members, non_members = random_texts(32, seed=1), random_texts(32, seed=2)
    config = FinetuneConfig(max_length=24, epochs=100, batch_size=8, learning_rate=1e-2, weight_decay=0.0,
                            warmup_ratio=0.0, seed=0)
    finetune(untrained, members, tmp_path / "memorised", config, progress=False)
    found = {}
    for name, folder in (("memorised", tmp_path / "memorised"), ("untrained", untrained)):
        model = load_model(str(folder), device="cpu")
        losses = [classification_losses(predict(model, data, progress=False)) for data in (members, non_members)]
        [found[name]] = membership_attacks(*losses, seed=0)
    assert found["memorised"].auc > 0.85 and found["memorised"].auc_interval.low > 0.75, found["memorised"]
    assert found["untrained"].auc_interval.low < 0.5 < found["untrained"].auc_interval.high, found["untrained"]


@pytest.mark.parametrize("name", ["t5", "gpt2"])
def test_a_generators_loss_is_its_own_mean_token_cross_entropy_of_the_reference(tiny_generators, name):
    """Each source's loss equals the model's own ``labels=`` loss on its reference followed by the end token: the
    mean next-token cross-entropy, which transformers computes independently (shifting the labels itself)."""
    import torch

    from workbench.records.generation_dataset import GenerationDataset
    from workbench.studies.membership import generation_losses, reference_ids

    generator = load_model(str(tiny_generators[name]), device="cpu")
    data = GenerationDataset("tiny", ("a", "b"), ("the bank said profit rose", "the team won the match"),
                             (("profit rose",), ("team won the game again",)))
    losses = generation_losses(generator, data)
    for i, (source, [reference]) in enumerate(zip(data.texts, data.references)):
        source_ids, target = generator.encode_sources([source])[0], reference_ids(generator, reference)
        with torch.no_grad():
            if generator.encoder_decoder:
                own = generator.model(input_ids=torch.tensor([source_ids]), labels=torch.tensor([target])).loss
            else:
                own = generator.model(input_ids=torch.tensor([source_ids + target]),
                                      labels=torch.tensor([[-100] * len(source_ids) + target])).loss
        assert losses[i] == pytest.approx(float(own), rel=1e-5)


def test_a_qa_loss_is_the_negative_log_probability_of_the_gold_answer_floored_where_it_is_gone(tiny_qa_dir):
    from workbench.records.qa_dataset import GoldAnswer, QADataset
    from workbench.studies.membership import TINY, qa_losses

    model = load_model(str(tiny_qa_dir), device="cpu")
    contexts = ("Ann Lee runs the bank in London.", "The team won the cup at home.")
    data = QADataset("tiny", ("q0", "q1"), ("Who runs the bank?", "What did the team win?"), contexts,
                     ((GoldAnswer("Ann Lee", 0),), (GoldAnswer("a medal", 0),)))  # the second is not in its context
    losses = qa_losses(model, data)
    expected = model.answer_probability(list(data.questions), list(contexts), ["Ann Lee", "a medal"])
    assert losses[0] == pytest.approx(-np.log(expected[0])) and 0 < expected[0] < 1
    assert expected[1] == 0 and losses[1] == pytest.approx(-np.log(TINY))  # large but finite: the attack can rank it
    empty = QADataset("tiny", ("q0",), ("Who?",), ("Ann Lee.",), ((),))
    with pytest.raises(DataError, match="1 of the questions of tiny have no gold answer"):
        qa_losses(model, empty)
