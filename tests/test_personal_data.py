"""Personal data: Presidio finds the planted values, and with redaction on no page, report or Explorer view shows
any of them, read in Chromium; with it off, the pages are as they were."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench.personal_data import (ENVIRONMENT, find_personal_data, redact, redacting, shown, shown_spans)
from workbench.words import word_spans

from .conftest import TINY_LABELS, build_tiny_bert, write_csv

EMAIL, PHONE, CARD, IBAN, IP = ("jane.doe@example.com", "+44 20 7946 0958", "4111 1111 1111 1111",
                                "GB82 WEST 1234 5698 7654 32", "192.168.1.20")
LABEL_PHONE = "+1 212 555 0143"  # planted in a label name: the model's third class
PLANTED = (EMAIL, PHONE, CARD, IBAN, LABEL_PHONE)
LABELS = (*TINY_LABELS[:2], LABEL_PHONE)
ROWS = [
    (f"the bank said profit rose , write to {EMAIL} for the market data", "business"),
    (f"the team won the match , call {PHONE} for the season", "sports"),
    (f"pay for the game online with card {CARD} and the new phone", LABEL_PHONE),
    (f"the bank account {IBAN} said the economy is new", "business"),
    ("player of the season said the team will win", "sports"),
    ("computer chip data and internet software", LABEL_PHONE),
    ("shares of the bank", "business"),
    ("goal", "sports"),
]


def test_presidio_finds_each_kind_and_a_number_that_fails_its_check_is_left():
    text = f"mail {EMAIL}, phone {PHONE}, card {CARD}, iban {IBAN}, host {IP}; not a card: 4111 1111 1111 1112"
    found = find_personal_data(text)
    assert [(f.kind, text[f.start:f.end]) for f in found] == [
        ("EMAIL", EMAIL), ("PHONE", PHONE), ("CARD", CARD), ("IBAN", IBAN), ("IP", IP)]
    redacted, counts = redact(text)
    assert redacted == ("mail ⟨EMAIL⟩, phone ⟨PHONE⟩, card ⟨CARD⟩, iban ⟨IBAN⟩, host ⟨IP⟩; "
                        "not a card: 4111 1111 1111 1112")
    assert counts == {"EMAIL": 1, "PHONE": 1, "CARD": 1, "IBAN": 1, "IP": 1}
    assert find_personal_data("In 2004 the firm made £1.8bn, up 3.5% on 1695's 16.87 figure.") == []


def test_redaction_is_off_unless_asked_and_never_changes_the_text_it_is_given(monkeypatch):
    text = f"write to {EMAIL} today"
    assert shown(text) == text
    with redacting() as counts:
        assert shown(text) == "write to ⟨EMAIL⟩ today" and counts == {"EMAIL": 1}
        words = shown_spans(text, word_spans(text))
        assert words == ["write", "to", "⟨EMAIL⟩", None, None, None, None, None, None, "today"]
        with redacting(False):
            assert shown(text) == text
    monkeypatch.setenv(ENVIRONMENT, "1")  # a report's kernel
    assert shown(text) == "write to ⟨EMAIL⟩ today"
    with redacting(False):
        assert shown(text) == text


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> tuple[Path, Path, Path]:
    """Two tiny classifiers whose third label is a phone number, and a CSV with the other values in its texts."""
    root = tmp_path_factory.mktemp("planted")
    overrides = {"num_labels": 3, "id2label": dict(enumerate(LABELS)), "label2id": {n: i for i, n in enumerate(LABELS)}}
    first = build_tiny_bert(root / "first", initializer_range=1.0, **overrides)
    second = build_tiny_bert(root / "second", initializer_range=0.5, **overrides)
    return first, second, write_csv(root / "planted.csv", ROWS)


def visible(page: Path) -> str:
    """What a reader sees of ``page`` in Chromium."""
    from .browser import in_chromium

    return "\n".join(in_chromium(page, "body"))


def assert_none_shown(page: Path, placeholders: bool = True) -> None:
    seen = visible(page)
    assert "⟨" in seen or not placeholders, f"{page} shows no placeholder: was anything redacted?"
    for value in PLANTED:
        assert value not in seen and value.replace(" ", "") not in seen, f"{value} is shown on {page}"


def test_with_redaction_on_no_page_report_or_explorer_view_shows_a_planted_value(cli, tmp_path, planted):
    import html

    import workbench as wb
    from workbench.report import run_report

    first, second, data = planted
    held = write_csv(tmp_path / "held.csv", [(f"{text} too", label) for text, label in ROWS])
    pages = []
    for command, out, page in (
        (["explain", "--model", first, "--data", data, "--method", "occlusion", "--n", "8"], "explain", "index.html"),
        (["compare", "--models", first, second, "--data", data, "--explain-n", "2", "--no-memory"], "compare",
         "compare.html"),
        (["audit", "--model", first, "--members", data, "--non-members", held], "audit", "audit.html"),
    ):
        result = cli(*command, "--out", tmp_path / out, "--redact", "--no-progress")
        assert result.exit_code == 0, result.output
        shows_texts = command[0] != "audit"  # the audit page names examples by id and never repeats a value
        assert ("redacted in what is displayed:" in result.output) == shows_texts, result.output
        pages.append((tmp_path / out / page, shows_texts))
    report = run_report(Path(__file__).resolve().parent.parent / "notebooks" / "evaluate.ipynb", tmp_path / "report",
                        {"model": str(first), "data": str(data)}, redact=True)
    assert report.manifest["redacted"] and os.environ.get(ENVIRONMENT) is None
    pages.append((report.html, True))
    explorer = wb.Explorer(wb.load_model(str(first)), wb.load_dataset(str(data)), methods=["occlusion"], redact=True)
    views = []
    for row in range(4):
        explorer.document.value = row
        explorer.explain_button.click()
        explorer.wait(120)
        assert explorer.status.value == "done", explorer.status.value
        views += [html.escape(label) for label, _ in explorer.document.options]
        views += [explorer.prediction.value, explorer.words.value]
    (tmp_path / "explorer.html").write_text("<!DOCTYPE html><html><body>" + "\n".join(views) + "</body></html>",
                                            encoding="utf-8")
    pages.append((tmp_path / "explorer.html", True))
    for page, placeholders in pages:
        assert_none_shown(page, placeholders)


def test_with_redaction_off_the_pages_show_the_data_as_written_and_are_unchanged(cli, tmp_path, planted):
    import workbench as wb

    first, _, data = planted
    result = cli("explain", "--model", first, "--data", data, "--method", "occlusion", "--n", "8", "--out",
                 tmp_path / "plain", "--no-progress")
    assert result.exit_code == 0 and "redacted" not in result.output, result.output
    seen = visible(tmp_path / "plain" / "index.html")
    assert all(value in seen for value in (EMAIL, PHONE, CARD, IBAN)), seen
    study = wb.explain_dataset(str(first), str(data), methods=["occlusion"], n=8, progress=False)
    study.write(tmp_path / "python", redact=False)
    for name in ("index.html", "attributions.jsonl", "faithfulness.json"):
        assert (tmp_path / "python" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes(), name
    study.write(tmp_path / "redacted", redact=True)
    assert (tmp_path / "redacted" / "attributions.jsonl").read_bytes() == (
        tmp_path / "plain" / "attributions.jsonl").read_bytes()  # the data keep every value: only the page changes
    assert (tmp_path / "redacted" / "index.html").read_bytes() != (tmp_path / "plain" / "index.html").read_bytes()
