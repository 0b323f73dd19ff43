"""Rendering: hostile text in words, ids, labels and model names stays inert, in the markup and in Chromium."""

from __future__ import annotations

import html.parser

from workbench.records import Attribution
from workbench.render import attribution_html, explanation_page, page_html, table_html

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
    records = [
        Attribution(id=p, model=p, method=p, target=p, words=(p, "word"), scores=(0.5, -0.25), output=0.9, base=0.1, params={})
        for p in PAYLOADS
    ]
    summary = {
        "model": PAYLOADS[0], "data": PAYLOADS[1], "seed": 0,
        "faithfulness": {PAYLOADS[2]: {k: {"comprehensiveness": 0.1, "sufficiency": 0.2, "aopc_comprehensiveness": 0.3, "aopc_sufficiency": 0.4} for k in ("method", "random")}},
        "agreement": [{"a": PAYLOADS[3], "b": PAYLOADS[4], "n": 1, "spearman": 0.5, "kendall": None, "top_k_overlap": 1.0}],
        "stability": {PAYLOADS[0]: {"seeds": PAYLOADS[1], "n": 1, "spearman": None, "kendall": None, "top_k_overlap": None}},
    }
    return explanation_page(PAYLOADS[0], {"m": records}, summary)


def assert_inert(markup: str, images: int) -> None:
    parser = Elements()
    parser.feed(markup)
    tags = [tag for tag, _ in parser.tags]
    assert "script" not in tags and "svg" not in tags and "b" not in tags
    assert all(not name.startswith("on") for _, attrs in parser.tags for name in attrs)
    srcs = [attrs["src"] for tag, attrs in parser.tags if tag == "img"]
    assert len(srcs) == images and all(src.startswith("data:image/png;base64,") for src in srcs)


def test_every_renderer_escapes_hostile_text():
    record = Attribution("i", "m", "lime", PAYLOADS[1], (PAYLOADS[0], "ok"), (1.0, -1.0), 0.5, 0.5, {})
    assert_inert(attribution_html(record), images=0)
    assert_inert(table_html([{PAYLOADS[2]: PAYLOADS[3], "x": 0.5}]), images=0)
    assert_inert(page_html(PAYLOADS[4], [table_html([{"a": PAYLOADS[0]}])]), images=0)
    assert "&lt;script&gt;" in attribution_html(record)


def test_the_explanation_page_is_inert_markup():
    assert_inert(hostile_page(), images=len(PAYLOADS))


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
