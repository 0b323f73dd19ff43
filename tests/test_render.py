"""Rendering: hostile text in words, ids, labels and model names stays inert, in the markup and in Chromium."""

from __future__ import annotations

import html.parser
import json

from workbench.records import (Agreement, Attribution, DiagnosticsSummary, ExplanationStudy, Faithfulness, RandomTest, ReadingSummary, ScoreSummary,
                               Stability)
from workbench.render.html import page_html, prose_html, table_html
from workbench.render.pages import attribution_html, explanation_page
from workbench.words import split_words

from .browser import chromium_dom

PAYLOADS = [
    "<script>document.body.insertAdjacentHTML('beforeend','<b id=pwned></b>')</script>",
    "<img src=x onerror=\"document.body.insertAdjacentHTML('beforeend','<b id=pwned></b>')\">",
    "</script><script>document.title='pwned'</script>",
    "\" onmouseover=\"alert(1)\" x=\"",
    "</style><svg onload=alert(1)>",
]


class Elements(html.parser.HTMLParser):
    """Collects every start tag and its attributes."""

    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def hostile_page() -> str:
    """Hostile text everywhere a page shows text: words (read and unread), ids, labels, methods, flags."""
    diagnostics = {"steps": 200, "convergence_delta": 1e-3, "gap": 0.5, "relative_error": 0.002, "converged": False, "tolerance": 0.05}
    records = [
        Attribution(id=p, model=p, method=p, target=p, text=f"{p} word {p}", words=split_words(f"{p} word {p}"),
                    scores=tuple((0.5, -0.25)[k % 2] for k in range(2 * len(split_words(p)))), output=0.9, base=0.1,
                    params={},
                    reading={"mode": "truncate", "max_tokens": 128}, diagnostics=diagnostics)
        for p in PAYLOADS
    ]
    scores = ScoreSummary(comprehensiveness=0.1, sufficiency=0.2, aopc_comprehensiveness=0.3, aopc_sufficiency=0.4, curves={})
    test = RandomTest(advantage=-0.01, ci={"low": -0.02, "high": 0.01}, clears=False)
    faithfulness = Faithfulness(n=5, fractions=(0.2,), rationale_fraction=0.2, random_repeats=3, seed=0, higher_is_better={}, documents=(),
                                method=scores, random=scores, against_random={"comprehensiveness": test, "aopc_comprehensiveness": test},
                                no_better_than_random=True)
    study = ExplanationStudy(
        model=PAYLOADS[0], data=PAYLOADS[1], seed=0, ids=tuple(PAYLOADS), texts=tuple(PAYLOADS), methods=("m",), attributions={"m": records},
        params={}, reading=ReadingSummary(mode="truncate", max_tokens=128, documents_cut=5, words_read=10, words=15),
        faithfulness={PAYLOADS[2]: faithfulness},
        agreement=(Agreement(a=PAYLOADS[3], b=PAYLOADS[4], n=1, k=5, spearman=0.5, kendall=None, top_k_overlap=1.0),),
        stability={PAYLOADS[0]: Stability(seeds=PAYLOADS[1], n=1, spearman=0.1, kendall=None, top_k_overlap=0.2, unstable=True)},
        diagnostics={PAYLOADS[3]: DiagnosticsSummary(documents=5, converged=4, steps_max=800, steps_mean=400.0, relative_error_max=0.07,
                                                     relative_error_mean=0.03, tolerance=0.05)},
    )
    return explanation_page(study)


def assert_inert(markup: str, images: int) -> None:
    parser = Elements()
    parser.feed(markup)
    tags = [tag for tag, _ in parser.tags]
    assert "script" not in tags and "svg" not in tags and "b" not in tags
    assert all(not name.startswith("on") for _, attrs in parser.tags for name in attrs)
    srcs = [attrs["src"] for tag, attrs in parser.tags if tag == "img"]
    assert len(srcs) == images and all(src.startswith("data:image/png;base64,") for src in srcs)


def test_every_renderer_escapes_hostile_text():
    text = f"{PAYLOADS[0]} ok"
    record = Attribution("i", "m", "lime", PAYLOADS[1], text, split_words(text),
                         tuple((-1.0) ** k for k in range(len(split_words(text)))), 0.5, 0.5, {})
    assert_inert(attribution_html(record), images=0)
    assert_inert(table_html([{PAYLOADS[2]: PAYLOADS[3], "x": 0.5}]), images=0)
    assert_inert(page_html(PAYLOADS[4], [table_html([{"a": PAYLOADS[0]}])]), images=0)
    markup = attribution_html(record)
    assert "<script" not in markup and ">&lt;</span><span" in markup and ">script</span>" in markup  # symbols: words


def test_a_plain_string_section_is_escaped_not_pasted():
    """Escaping is the default: HTML given as a plain str (not Markup from a template) shows as text."""
    page = page_html("t", [PAYLOADS[0], table_html([{"a": 1}])])
    assert_inert(page, images=0)
    assert "&lt;script&gt;" in page and "<table>" in page


def test_the_explanation_page_is_inert_markup():
    page = hostile_page()
    assert_inert(page, images=len(PAYLOADS))
    assert page.count("the model stopped reading here (128-token limit); the 1 grey words") == len(PAYLOADS)
    assert page.count('<span class="wb-unseen" style="color:#999"') == len(PAYLOADS)
    assert "no better than random words on 5 documents" in page and "NO BETTER THAN RANDOM" in page and "-0.0200 to +0.0100" in page
    assert "unstable across seeds" in page and "UNSTABLE" in page
    assert page.count("200 steps, completeness error 0.20 % (delta +1.00e-03), above the 5 % tolerance at the step cap") == len(PAYLOADS)
    assert "5 of 5 documents are longer; every method explains only the 10 of 15 words it read" in page


def test_hostile_page_stays_inert_in_chromium(tmp_path):
    page = tmp_path / "hostile.html"
    page.write_text(hostile_page(), encoding="utf-8")
    dom = chromium_dom(page)
    assert "<body>" in dom or "<body" in dom
    assert 'id="pwned"' not in dom and "<title>pwned</title>" not in dom
    assert_inert(dom.split("<body", 1)[1], images=len(PAYLOADS))
    assert "&lt;script&gt;" in dom


def test_explain_report_with_hostile_labels_and_ids_stays_inert_in_chromium(tmp_path, cli):
    from .conftest import build_tiny_bert, write_csv

    labels = {0: PAYLOADS[0], 1: PAYLOADS[1], 2: "tech"}
    model = build_tiny_bert(tmp_path / "model", initializer_range=1.0, id2label=labels, label2id={v: k for k, v in labels.items()})
    data = write_csv(tmp_path / "d.csv", [(PAYLOADS[2], "the bank said profit"), (PAYLOADS[3], "the team won the match")], header="id,text")
    result = cli("explain", "--model", model, "--data", data, "--out", tmp_path / "out", "--method", "occlusion", "--method", "lime",
                 "--n", "2", "--num-samples", "20", "--no-cache")
    assert result.exit_code == 0, result.output
    markup = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert_inert(markup, images=4)
    dom = chromium_dom(tmp_path / "out" / "index.html")
    assert 'id="pwned"' not in dom and "<title>pwned</title>" not in dom
    assert_inert(dom.split("<body", 1)[1], images=4)


def test_compare_report_with_hostile_labels_and_ids_stays_inert_in_chromium(tmp_path, cli):
    from .conftest import build_tiny_bert, write_csv

    labels = {0: PAYLOADS[0], 1: PAYLOADS[1], 2: PAYLOADS[4]}
    config = {"id2label": labels, "label2id": {v: k for k, v in labels.items()}}
    first = build_tiny_bert(tmp_path / "a", initializer_range=1.0, **config)
    second = build_tiny_bert(tmp_path / "b", **config)
    rows = [(f"{PAYLOADS[i % 5]}{i}", f"the bank said profit {'goal ' * i}", labels[i % 3]) for i in range(6)]
    data = write_csv(tmp_path / "d.csv", rows, header="id,text,label")
    result = cli("compare", "--models", first, second, "--data", data, "--out", tmp_path / "out", "--explain-n", "2", "--num-samples", "20", "--no-memory")
    assert result.exit_code == 0, result.output
    page = tmp_path / "out" / "compare.html"
    assert_inert(page.read_text(encoding="utf-8"), images=2)
    dom = chromium_dom(page)
    assert 'id="pwned"' not in dom and "<title>pwned</title>" not in dom
    assert_inert(dom.split("<body", 1)[1], images=2)


def test_a_long_document_shows_where_the_model_stopped_reading_in_chromium(tmp_path, cli, tiny_sharp_dir):
    """The explain page of a document past the tiny model's limit, opened in Chromium (screenshot in test-artifacts/)."""
    from .browser import chromium_screenshot
    from .conftest import write_csv
    from .test_explainers import LONG

    data = write_csv(tmp_path / "long.csv", [(LONG, "business"), ("the team won the match", "sports")])
    result = cli("explain", "--model", tiny_sharp_dir, "--data", data, "--label-column", "label", "--out", tmp_path / "out",
                 "--method", "occlusion", "--method", "integrated-gradients", "--no-cache")
    assert result.exit_code == 0, result.output
    assert "1 of 2 documents were cut" in result.stdout
    page = tmp_path / "out" / "index.html"
    dom = chromium_dom(page)
    assert dom.count('class="wb-unseen"') == 2 and dom.count("the model stopped reading here (24-token limit)") == 2  # one per method
    assert "completeness error" in dom and "The model reads at most 24 tokens. 1 of 2 documents are longer" in dom
    shot, console = chromium_screenshot(page, "explain-long-document")
    assert shot.stat().st_size > 0 and console == []


# Texts whose symbols are words of their own: an apostrophe, currency, decimals, quotes, a dash, a percent sign
READABLE = ["Japan's Sumitomo paid ($29bn) for O'Neil's bank.", 'Profit rose 1.8% to £3.75m, "a record", he said.',
            "The $1.8 trillion deal—‘final’ at 10:30—was signed."]


def test_the_explain_page_shows_each_text_as_written_in_chromium(tmp_path, cli, tiny_sharp_dir):
    """Every symbol is scored on its own, and the page still reads "Japan's" and "($29bn)", not "Japan ' s" and
    "( $ 29bn )"."""
    from .browser import in_chromium
    from .conftest import write_csv

    data = write_csv(tmp_path / "d.csv", [(text, "business") for text in READABLE])
    result = cli("explain", "--model", tiny_sharp_dir, "--data", data, "--out", tmp_path / "out",
                 "--method", "occlusion", "--method", "lime", "--num-samples", "20", "--no-cache")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (tmp_path / "out" / "attributions.jsonl").read_text().splitlines()]
    by_document = [text for text in READABLE for _ in ("occlusion", "lime")]
    assert [r["text"] for r in records] == by_document
    assert all(len(r["scores"]) == len(split_words(r["text"])) for r in records)
    assert in_chromium(tmp_path / "out" / "index.html", ".wb-words") == by_document
    words = in_chromium(tmp_path / "out" / "index.html", ".wb-words span[title]")
    assert words[:11] == ["Japan", "'", "s", "Sumitomo", "paid", "(", "$", "29bn", ")", "for", "O"]  # a score each


def test_every_list_of_examples_marks_the_split_duplicates_in_chromium(tmp_path):
    """The headline evaluation's best documents, a predictions listing and an explained document's heading name the
    training row each duplicate repeats; a list without one keeps its plain columns."""
    from workbench.datasets.duplicates import split_duplicates
    from workbench.render.examples import IN_TRAIN, duplicate_note, examples_html, listing_html

    from .browser import in_chromium

    duplicates = split_duplicates("bbc-headlines:test")
    test_id, train_id = next(iter(duplicates.items()))
    rows = [{"id": test_id, "generated": "<b>headline</b>"}, {"id": "tech/999", "generated": "other"}]
    page = tmp_path / "examples.html"
    data = "bbc-headlines:test"
    sections = [examples_html(rows, data), listing_html("m", data, rows, 2), examples_html(rows[1:], data),
                prose_html(None, "doc" + duplicate_note(data, test_id))]
    page.write_text(page_html("examples", sections))
    headers = in_chromium(page, "table", "t => [...t.querySelectorAll('th')].map(h => h.innerText)")
    assert headers == [["id", IN_TRAIN, "generated"]] * 2 + [["id", "generated"]]
    cells = in_chromium(page, "table tr td:nth-child(2)", "e => e.innerText")
    assert cells[:2] == [train_id, ""] and cells[2:4] == [train_id, ""]
    flags = in_chromium(page, ".wb-flag", "e => e.innerText")
    assert flags == ["⚠ 1 of these 2 examples also occur in the training split bbc-headlines:train (the same text); "
                     "a model may have learnt them by heart"] * 2
    headings = in_chromium(page, "h2", "e => e.innerText")
    assert headings == [f"doc · also in the training split bbc-headlines:train as {train_id}"]
