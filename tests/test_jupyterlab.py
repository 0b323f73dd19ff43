"""The explorer in a real JupyterLab, driven through headless Chromium with Playwright.

A JupyterLab server starts on a free port over a folder holding a notebook that opens the
explorer on the tiny model; Chromium (Debian's, through Playwright) runs its cells, searches,
presses Explain and waits for the result, as a user would. A screenshot lands in test-artifacts/.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time

import pytest

from workbench.bench import lab

from .browser import ARTIFACTS
from .test_report import scratch_notebook


OPEN = "import workbench as wb\nfrom workbench.widgets import Explorer"


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server over ``tmp_path``; yields (base URL, token, root)."""
    with lab.jupyterlab(tmp_path) as (base, token):
        yield base, token, tmp_path


def chromium() -> str:
    """Debian's chromium for Playwright; skipped (or failed, where a browser is required) when absent."""
    browser_path = shutil.which("chromium")
    if browser_path is None:
        if os.environ.get("WORKBENCH_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed; `make test` installs Debian's chromium package")
        pytest.skip("chromium is not installed (make test installs it)")
    return browser_path


@contextlib.contextmanager
def app_in_jupyterlab(jupyterlab, parameters: str, code: str, name: str):
    """A notebook that opens an app, run cell by cell in JupyterLab through Chromium; yields the page, and screenshots
    it into test-artifacts/ as ``name``.png when done. Page errors fail the test."""
    pytest.importorskip("playwright.sync_api")
    base, token, root = jupyterlab
    scratch_notebook(root / f"{name}.ipynb", parameters, code)
    with lab.notebook_in_lab(base, token, f"{name}.ipynb", chromium(), cells=2) as (page, errors):
        yield page
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert errors == []


def search(page, query: str, listed: str) -> None:
    """Wait for the app, type ``query`` into its search and wait until the list says ``listed``."""
    page.locator(".widget-button", has_text="Explain").wait_for(timeout=120_000)
    box = page.locator(".widget-text input").first
    box.fill(query)
    box.press("Enter")
    page.locator(".widget-label", has_text=listed).wait_for(timeout=30_000)


def explain(page) -> None:
    """Press Explain and wait until the explanation is done."""
    page.locator(".widget-button", has_text="Explain").click()
    page.locator(".widget-label", has_text="done").wait_for(timeout=120_000)


def test_the_explorer_works_in_jupyterlab(jupyterlab, tiny_sharp_dir, tiny_csv):
    code = f"{OPEN}\nExplorer(wb.load_model(model), wb.load_dataset(data), num_samples=30)"
    with app_in_jupyterlab(
        jupyterlab, f"model = {str(tiny_sharp_dir)!r}\ndata = {str(tiny_csv)!r}", code, "explorer-jupyterlab"
    ) as page:
        search(page, "goal", "2 of 8 documents")
        explain(page)
        words = page.locator(".wb-words span")
        assert words.count() == 9 and words.first.inner_text() == "the"
        assert page.locator(".wb-words").inner_text() == "the team won the match with a late goal"
        assert "comprehensiveness" in page.locator(".widget-html", has_text="Faithfulness").inner_text()


def test_the_question_answering_explorer_works_in_jupyterlab(jupyterlab, tmp_path, tiny_qa_dir):
    """Pick a question, explain its answer: the question and the context as written, shaded, the answer outlined."""
    from workbench.words import whole_text

    from .test_question_answering import qa_rows, squad_file

    data = squad_file(tmp_path / "questions.json", qa_rows())
    code = f"{OPEN}\nExplorer(wb.load_model(model), wb.load_dataset(data), methods=['occlusion'])"
    with app_in_jupyterlab(
        jupyterlab, f"model = {str(tiny_qa_dir)!r}\ndata = {str(data)!r}", code, "explorer-qa-jupyterlab"
    ) as page:
        search(page, "governor", "1 of 4 questions")
        assert "Who is the governor?" in page.locator(".widget-html", has_text="Question").first.inner_text()
        explain(page)
        row = qa_rows()[0]
        assert page.locator(".wb-words").all_inner_texts() == [f"Q: {row['question']}", whole_text(row["context"])]
        answer = page.locator(".wb-answer").inner_text()
        assert answer and answer in row["context"]
        assert "comprehensiveness" in page.locator(".widget-html", has_text="Faithfulness").inner_text()
        page.get_by_text("Calibration: how often").click()  # the accordion opens on the reliability diagram
        diagram = page.locator("img[alt='reliability diagram']")
        diagram.wait_for(timeout=30_000)
        assert diagram.evaluate("e => e.naturalWidth") > 300


def test_the_generation_explorer_works_in_jupyterlab(jupyterlab, tmp_path, tiny_generators):
    """Explain an output, then choose its third token: the source words and the two earlier tokens shade by it."""
    from .test_generation import GENERATION_ROWS, generation_file

    data = generation_file(tmp_path / "sources.jsonl")
    code = (
        "import workbench as wb\nfrom workbench.widgets import Explorer\n"
        "Explorer(wb.load_model(model), wb.load_dataset(data), methods=['occlusion'],\n"
        "         settings=wb.GenerationSettings(max_new_tokens=4))"
    )
    with app_in_jupyterlab(
        jupyterlab,
        f"model = {str(tiny_generators['gpt2'])!r}\ndata = {str(data)!r}",
        code,
        "explorer-generation-jupyterlab",
    ) as page:
        search(page, "bank", "1 of 4 sources")
        explain(page)
        tokens = page.locator(".widget-toggle-button")
        assert tokens.count() == 4
        tokens.nth(2).click()
        shown = page.locator(".widget-html", has_text="token 3 of 4")
        shown.wait_for(timeout=30_000)
        texts = shown.locator(".wb-words").all_inner_texts()
        assert texts[0] == f"source: {GENERATION_ROWS[0]['source']}" and texts[1].startswith("earlier tokens: ")
        colours = shown.locator(".wb-words span[title]").evaluate_all(
            "es => es.map(e => getComputedStyle(e).backgroundColor)"
        )
        assert len(colours) == len(GENERATION_ROWS[0]["source"].split()) + 2 and any(
            "220, 60, 40" in c or "40, 110, 220" in c for c in colours
        )


@pytest.mark.integration
def test_the_corpus_map_draws_50000_points_and_a_click_opens_one_in_the_explorer(jupyterlab, tmp_path):
    """The BBC articles' 43,978 sentences and 6,022 of them again (50,000 points), embedded by the TF-IDF demo model and
    laid out by PCA, drawn by jupyter-scatter in JupyterLab; clicking a drawn point opens its sentence in the
    Explorer."""
    import pandas as pd

    from workbench.datasets import load_dataset

    sentences = load_dataset("bbc-sentences")
    again = 50_000 - len(sentences)
    frame = pd.DataFrame(
        {
            "id": [*sentences.ids, *(f"{i}/again" for i in sentences.ids[:again])],
            "text": [*sentences.texts, *sentences.texts[:again]],
            "label": [*sentences.labels, *sentences.labels[:again]],
        }
    )
    data = tmp_path / "sentences.parquet"
    frame.to_parquet(data)
    code = (
        "import workbench as wb\nfrom workbench.widgets import CorpusMap, Explorer\n"
        "explorer = Explorer(wb.load_model('demo:tfidf-logreg'), wb.load_dataset(data), methods=['occlusion'])\n"
        "CorpusMap(explorer, projection='pca')"
    )
    with app_in_jupyterlab(jupyterlab, f"data = {str(data)!r}", code, "corpus-map-jupyterlab") as page:
        page.locator(".widget-label", has_text="50,000 documents").wait_for(timeout=300_000)
        canvas = page.locator("canvas").first
        canvas.wait_for(timeout=120_000)
        deadline = time.monotonic() + 120
        while not (drawn := lab.painted_pixels(canvas.screenshot())) and time.monotonic() < deadline:
            time.sleep(1)
        assert len(drawn) > 2000, "the map drew (almost) nothing"
        first = page.locator(".widget-html .wb-meta").first.inner_text()
        x, y = drawn[len(drawn) // 2]
        canvas.click(position={"x": x, "y": y})
        page.wait_for_function(
            "first => document.querySelector('.widget-html .wb-meta').innerText !== first", arg=first, timeout=30_000
        )
        opened = page.locator(".widget-html .wb-meta").first.inner_text().split(" · ")[0]
        assert opened in set(frame["id"]) and opened != first.split(" · ")[0]
