"""Audits end to end: memorization on planted copies, the word lists, the verb and the command on tiny models of every
task, its page escaped, its report notebook in a real kernel, and the figures on the headline demo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.errors import DataError, ParameterError
from workbench.statistics.memorization import TrainingText, memorization
from workbench.statistics.perturbations import GENDER_SWAPS, read_word_pairs, swap_gender

from .conftest import TINY_ROWS, write_csv

HEADLINE = "Bank of England raises rates to a record high"


def test_memorization_counts_copied_training_text_and_not_the_source_it_read():
    training = TrainingText(
        ["t1", "t2"],
        ["The governor said the bank would raise interest rates again next month, traders said.", "Oil fell."],
        [(HEADLINE,), ("Oil prices fall",)],
    )
    members = (["t1", "t2"], ["bank of england raises rates to a record high", "oil prices fall"],
               ["The governor said the bank would raise interest rates again next month, traders said.", "Oil fell."])
    held_out = (["h1", "h2"], ["the bank would raise interest rates again next month , traders", "shares rose"],
                ["The bank would raise interest rates again next month, traders said.", "Shares rose."])
    found = memorization(training, members, held_out)
    assert (found.members, found.non_members, found.ngram, found.min_words) == (2, 2, 8, 4)
    # the first headline whole (lower case and spacing aside), and the second: a 3-word reference is too short to count
    assert found.memorization_rate == 0.5 and found.whole_reference_rate == 0.5
    [span] = found.member_spans
    assert (span.id, span.training_id, span.words, span.whole_reference) == ("t1", "t1", 9, True)
    # a held-out output that copies its own source is the task, not memory, although training text holds the words
    assert found.held_out_memorization_rate == 0.0 and found.held_out_spans == ()
    assert found.held_out_memorization_rate_interval.low == 0.0 < found.held_out_memorization_rate_interval.high < 0.9
    copied = memorization(training, held_out, (["h3"], ["he said the bank would raise interest rates again next"],
                                               ["Markets were calm."]))
    assert copied.held_out_memorization_rate == 1.0 and copied.held_out_spans[0].span == (
        "said the bank would raise interest rates again next")
    assert copied.held_out_spans[0].words == 9 and not copied.held_out_spans[0].whole_reference
    with pytest.raises(ParameterError, match="ngram 0 and min_words 4 must be at least 1"):
        TrainingText(["t1"], ["a"], [("b",)], ngram=0)
    with pytest.raises(DataError, match="2 training ids for 1 sources and 1 reference lists"):
        TrainingText(["t1", "t2"], ["a"], [("b",)])


def test_a_word_list_file_replaces_the_built_in_one_and_a_bad_one_is_one_line(tmp_path):
    assert swap_gender("He met Mary and her son.") == "She met John and his daughter."
    assert GENDER_SWAPS["her"] == "his" and GENDER_SWAPS["his"] == "her" and GENDER_SWAPS["him"] == "her"
    own = tmp_path / "nations.tsv"
    own.write_text("# nationalities\nfrench\tgerman\n\nParis\tBerlin\n", encoding="utf-8")
    swaps = read_word_pairs(own)
    assert swaps == {"french": "german", "german": "french", "paris": "berlin", "berlin": "paris"}
    swapped = swap_gender("The FRENCH side met in Paris; he said so.", swaps)
    assert swapped == "The GERMAN side met in Berlin; he said so."
    bad = tmp_path / "bad.tsv"
    bad.write_text("he she\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.tsv, line 1: 'he she' is not two words separated by a tab"):
        read_word_pairs(bad)
    with pytest.raises(DataError, match="cannot read the word list .*missing.tsv"):
        read_word_pairs(tmp_path / "missing.tsv")


def labeled_ids(path: Path, rows: list[tuple[str, str]], prefix: str) -> Path:
    rows = [(f"{prefix}{i}", text, label) for i, (text, label) in enumerate(rows)]
    return write_csv(path, rows, header="id,text,label")


def test_a_classifier_audit_writes_every_figure_and_says_what_does_not_apply(cli, tmp_path, tiny_sharp_dir):
    """The command on a tiny classifier: members and non-members from files, a copy of a training text set aside, the
    user's word list named, an id with markup escaped on the page, and the same bytes from the verb."""
    import workbench as wb

    members = labeled_ids(tmp_path / "members.csv", TINY_ROWS + [("the man said his team won", "sports")], "m")
    held_out = [("he said the bank and market data rose", "business"), ("the team of the season", "sports"),
                ("online game and phone software", "tech"), (TINY_ROWS[0][0], "business"),
                ("she said the new chip is online", "tech"), ("profit of the bank", "business")]
    planted = "<img src=x onerror=alert(1)>"  # the id of the copy, which the page lists
    non_members = write_csv(tmp_path / "held.csv", [(planted if i == 3 else f"h{i}", t, label)
                                                    for i, (t, label) in enumerate(held_out)], header="id,text,label")
    words = tmp_path / "words.tsv"
    words.write_text("he\tshe\nman\twoman\n", encoding="utf-8")
    out = tmp_path / "audit"
    result = cli("audit", "--model", tiny_sharp_dir, "--members", members, "--non-members", non_members, "--word-list",
                 words, "--out", out, "--no-progress")
    assert result.exit_code == 0, result.output
    audit = json.loads((out / "audit.json").read_text())
    assert (audit["task"], audit["sample"], audit["dropped"]) == ("classification", 5, 1)  # the 4th copies m0
    assert audit["duplicates"]["exact"] == [[planted, "m0"]]
    [loss] = audit["membership"]
    assert loss["attack"] == "loss" and loss["members"] == loss["non_members"] == 5 and 0 <= loss["auc"] <= 1
    assert loss["auc_interval"]["low"] <= loss["auc"] <= loss["auc_interval"]["high"]
    [bias] = audit["bias"]
    assert bias["word_list"] == str(words) and bias["edited"] >= 2
    assert bias["change_rate_interval"]["method"] == "wilson"
    assert audit["memorization"] is None and audit["not_applicable"] == [
        "memorization: a classifier gives labels, no text of its own, so it cannot repeat its training text "
        "(nor emit personal data)"]
    assert "not applicable: memorization" in result.output and "membership loss" in result.output
    page = (out / "audit.html").read_text(encoding="utf-8")
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page and "<script" not in page
    assert "Membership inference" in page and "Counterfactual bias" in page
    assert 'alt="membership attack ROC curves"' in page
    again = wb.audit(str(tiny_sharp_dir), members=wb.load_dataset(str(members)),
                     non_members=wb.load_dataset(str(non_members)), word_list=words)
    again.write(tmp_path / "again")
    assert (tmp_path / "again" / "audit.json").read_bytes() == (out / "audit.json").read_bytes()


@pytest.mark.parametrize("args, message", [
    (["--data", "bbc-news:test"], "data='bbc-news:test' is not a built-in dataset without a split"),
    (["--data", "bbc-news", "--members", "x.csv"], "give data (a built-in dataset without a split"),
    (["--members", "x.csv"], "give data (a built-in dataset without a split"),
    (["--data", "bbc-news", "--n", "1"], "Invalid value for '--n'"),
])
def test_bad_audit_input_is_one_line_exit_2_and_nothing_written(cli, tmp_path, tiny_model_dir, args, message):
    result = cli("audit", "--model", tiny_model_dir, *args, "--out", tmp_path / "out")
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def test_a_generator_and_a_question_answering_model_are_audited_with_the_same_verb(tmp_path, tiny_generators,
                                                                                      tiny_qa_dir):
    import workbench as wb
    from workbench.records.generation_dataset import GenerationDataset
    from workbench.records.qa_dataset import GoldAnswer, QADataset

    sources = ["the bank said profit rose", "the team won the match", "new phone software", "he said the market fell",
               "the player said his team will win", "computer chip data"]
    train = GenerationDataset(name="train", ids=("a", "b", "c"), texts=tuple(sources[:3]),
                              references=(("bank profit",), ("team win",), ("new phone",)))
    held = GenerationDataset(name="held", ids=("d", "e", "f"), texts=tuple(sources[3:]),
                             references=(("market fell",), ("player win",), ("chip data",)))
    audit = wb.audit(str(tiny_generators["t5"]), members=train, non_members=held, ngram=2,
                     settings=wb.GenerationSettings(max_new_tokens=6))
    assert audit.task == "generation" and audit.sample == 3 and audit.not_applicable == ()
    assert audit.memorization.ngram == 2 and audit.memorization.members == audit.memorization.non_members == 3
    [bias] = audit.bias
    assert bias.edited == 2 and bias.carriable is not None and bias.chrf is not None and 0 <= bias.chrf <= 100
    contexts = ["The Bank of England raised rates on Thursday, its governor Mervyn King said.",
                "Shares in London fell sharply as traders in the City reacted to the news.",
                "He said the team from Leeds won the cup final in May.",
                "She said Mary Smith will lead the new software company in Paris."]
    answers = ["Mervyn King", "London", "Leeds", "Paris"]
    questions = ["Who is the governor?", "Where did shares fall?", "Which team won?", "Where is the company?"]

    def split(name: str, rows: range) -> QADataset:
        return QADataset(name=name, ids=tuple(f"q{i}" for i in rows), questions=tuple(questions[i] for i in rows),
                         contexts=tuple(contexts[i] for i in rows),
                         answers=tuple((GoldAnswer(answers[i], contexts[i].index(answers[i])),) for i in rows))

    asked = wb.audit(str(tiny_qa_dir), members=split("train", range(2)), non_members=split("held", range(2, 4)),
                     reference=str(tiny_qa_dir))
    assert asked.task == "question-answering" and asked.memorization is None and asked.sample == 2
    loss, calibrated = asked.membership  # the model as its own reference: every calibrated score is 0, a coin toss
    assert loss.members == 2 and calibrated.attack == "reference" and calibrated.auc == 0.5
    assert asked.reference == asked.model and asked.not_applicable == (
        "memorization: a question-answering model gives spans of the contexts it reads, no text of its own, so it "
        "cannot repeat its training text (nor emit personal data)",)
    [bias] = asked.bias
    assert bias.edited == 2 and bias.changed in (0, 1, 2) and bias.chrf is None


def test_a_language_model_is_attacked_on_its_per_token_loss_and_the_rest_says_it_does_not_apply(tiny_generators):
    import workbench as wb
    from workbench.records.language_modeling import TextCorpus

    texts = ["the bank said profit rose", "the team won the match", "new phone software and chip data",
             "the player said his team will win", "computer data and online game", "shares of the bank rose"]
    members = TextCorpus(name="seen", ids=("a", "b", "c"), texts=tuple(texts[:3]))
    held = TextCorpus(name="unseen", ids=("d", "e", "f"), texts=tuple(texts[3:]))
    audit = wb.audit(str(tiny_generators["gpt2"]), members=members, non_members=held)
    [loss] = audit.membership
    assert audit.task == "language-modeling" and loss.members == loss.non_members == 3 and 0 <= loss.auc <= 1
    assert audit.memorization is None and audit.bias == () and len(audit.not_applicable) == 2
    assert audit.not_applicable[1] == "counterfactual bias: not defined for a language model"


def test_the_audit_report_notebook_writes_the_verbs_figures_in_a_real_kernel(tmp_path, tiny_sharp_dir):
    import workbench as wb
    from workbench.report import run_report

    members = labeled_ids(tmp_path / "members.csv", TINY_ROWS[:4], "m")
    non_members = labeled_ids(tmp_path / "held.csv", TINY_ROWS[4:], "h")
    notebook = Path(__file__).resolve().parent.parent / "notebooks" / "audit.ipynb"
    report = run_report(notebook, tmp_path / "report", {"model": str(tiny_sharp_dir), "data": "",
                                                         "members": str(members), "non_members": str(non_members)})
    expected = wb.audit(str(tiny_sharp_dir), members=str(members), non_members=str(non_members)).to_dict()
    assert json.loads((tmp_path / "report" / "metrics.json").read_text()) == json.loads(json.dumps(expected))
    assert (tmp_path / "report" / "audit.json").is_file() and report.manifest["headline"]["n"] == 4
    markup = report.html.read_text(encoding="utf-8")
    assert "Membership inference" in markup and "Does not apply: memorization" in markup and "<script" not in markup


@pytest.mark.integration
def test_the_headline_demo_gives_its_training_set_away_and_repeats_its_headlines(cli, tmp_path):
    """demo:headline-bbc trained 8 epochs on bbc-headlines:train: the loss attack finds its training articles, and it
    writes training headlines word for word more often for training articles than for held-out ones."""
    out = tmp_path / "audit"
    result = cli("audit", "--model", "demo:headline-bbc", "--data", "bbc-headlines", "--n", "120", "--out", out,
                 "--no-progress")
    assert result.exit_code == 0, result.output
    audit = json.loads((out / "audit.json").read_text())
    assert len(audit["duplicates"]["exact"]) == 42 and audit["dropped"] == 48
    [loss] = audit["membership"]
    assert loss["auc"] > 0.9 and loss["auc_interval"]["low"] > 0.5, loss
    m = audit["memorization"]
    assert m["memorization_rate_interval"]["low"] > m["held_out_memorization_rate"], m
    assert any(s["whole_reference"] and s["training_id"] == s["id"] for s in m["member_spans"])
    [bias] = audit["bias"]
    assert bias["edited"] > 50 and 0 < bias["chrf"] <= 100
