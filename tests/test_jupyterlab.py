"""The explorer in a real JupyterLab, driven through headless Chromium with Playwright.

A JupyterLab server starts on a free port over a folder holding a notebook that opens the
explorer on the tiny model; Chromium (Debian's, through Playwright) runs its cells, searches,
presses Explain and waits for the result, as a user would. A screenshot lands in test-artifacts/.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from .browser import ARTIFACTS
from .test_report import scratch_notebook


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server over ``tmp_path``; yields (base URL, token, root)."""
    port, token = _free_port(), secrets.token_hex(16)
    log = (tmp_path / "jupyterlab.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={tmp_path}", "--allow-root", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start: " + (tmp_path / "jupyterlab.log").read_text()[-2000:])
        yield base, token, tmp_path
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def chromium() -> str:
    """Debian's chromium for Playwright; skipped (or failed, where a browser is required) when absent."""
    browser_path = shutil.which("chromium")
    if browser_path is None:
        if os.environ.get("WORKBENCH_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed; `make test` installs Debian's chromium package")
        pytest.skip("chromium is not installed (make test installs it)")
    return browser_path


def wait_for_idle_kernel(base: str, token: str, timeout: float = 120.0) -> None:
    """Block until the server reports a session whose kernel is started and idle (its own API, not the page's indicator,
    which can read idle before the kernel takes input)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sessions = json.loads(urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=5).read())
        if sessions and all(s["kernel"]["execution_state"] == "idle" for s in sessions):
            return
        time.sleep(0.5)
    pytest.fail(f"no idle kernel after {timeout:.0f} s: {sessions}")


@contextlib.contextmanager
def app_in_jupyterlab(jupyterlab, parameters: str, code: str, name: str):
    """A notebook that opens an app, run cell by cell in JupyterLab through Chromium; yields the page, and screenshots it
    into test-artifacts/ as ``name``.png when done. Page errors fail the test."""
    playwright = pytest.importorskip("playwright.sync_api")
    browser_path = chromium()
    base, token, root = jupyterlab
    scratch_notebook(root / f"{name}.ipynb", parameters, code)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{base}/lab/tree/{name}.ipynb?token={token}")
        page.locator(".jp-Notebook .jp-Cell").first.click(timeout=120_000)
        wait_for_idle_kernel(base, token)
        for _ in range(2):
            page.keyboard.press("Shift+Enter")
        yield page
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        browser.close()
    assert errors == []


def test_the_explorer_works_in_jupyterlab(jupyterlab, tiny_sharp_dir, tiny_csv):
    code = "import workbench as wb\nfrom workbench.widgets import Explorer\nExplorer(wb.load_model(model), wb.load_dataset(data), num_samples=30)"
    with app_in_jupyterlab(jupyterlab, f"model = {str(tiny_sharp_dir)!r}\ndata = {str(tiny_csv)!r}", code, "explorer-jupyterlab") as page:
        explain = page.locator(".widget-button", has_text="Explain")
        explain.wait_for(timeout=120_000)
        search = page.locator(".widget-text input").first
        search.fill("goal")
        search.press("Enter")
        page.locator(".widget-label", has_text="2 of 8 documents").wait_for(timeout=30_000)
        explain.click()
        page.locator(".widget-label", has_text="done").wait_for(timeout=120_000)
        words = page.locator(".wb-words span")
        assert words.count() == 9 and words.first.inner_text() == "the"
        assert page.locator(".wb-words").inner_text() == "the team won the match with a late goal"
        assert "comprehensiveness" in page.locator(".widget-html", has_text="Faithfulness").inner_text()


def test_the_question_answering_explorer_works_in_jupyterlab(jupyterlab, tmp_path, tiny_qa_dir):
    """Pick a question, explain its answer: the question and the context as written, shaded, the answer outlined."""
    from workbench.words import whole_text

    from .test_question_answering import qa_rows, squad_file

    data = squad_file(tmp_path / "questions.json", qa_rows())
    code = "import workbench as wb\nfrom workbench.widgets import Explorer\nExplorer(wb.load_model(model), wb.load_dataset(data), methods=['occlusion'])"
    with app_in_jupyterlab(jupyterlab, f"model = {str(tiny_qa_dir)!r}\ndata = {str(data)!r}", code, "explorer-qa-jupyterlab") as page:
        explain = page.locator(".widget-button", has_text="Explain")
        explain.wait_for(timeout=120_000)
        search = page.locator(".widget-text input").first
        search.fill("governor")
        search.press("Enter")
        page.locator(".widget-label", has_text="1 of 4 questions").wait_for(timeout=30_000)
        assert "Who is the governor?" in page.locator(".widget-html", has_text="Question").first.inner_text()
        explain.click()
        page.locator(".widget-label", has_text="done").wait_for(timeout=120_000)
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
    code = ("import workbench as wb\nfrom workbench.widgets import Explorer\n"
            "Explorer(wb.load_model(model), wb.load_dataset(data), methods=['occlusion'], settings=wb.GenerationSettings(max_new_tokens=4))")
    with app_in_jupyterlab(jupyterlab, f"model = {str(tiny_generators['gpt2'])!r}\ndata = {str(data)!r}", code,
                           "explorer-generation-jupyterlab") as page:
        explain = page.locator(".widget-button", has_text="Explain")
        explain.wait_for(timeout=120_000)
        explain.click()
        page.locator(".widget-label", has_text="done").wait_for(timeout=120_000)
        tokens = page.locator(".widget-toggle-button")
        assert tokens.count() == 4
        tokens.nth(2).click()
        shown = page.locator(".widget-html", has_text="token 3 of 4")
        shown.wait_for(timeout=30_000)
        texts = shown.locator(".wb-words").all_inner_texts()
        assert texts[0] == f"source: {GENERATION_ROWS[0]['source']}" and texts[1].startswith("earlier tokens: ")
        colours = shown.locator(".wb-words span[title]").evaluate_all("es => es.map(e => getComputedStyle(e).backgroundColor)")
        assert len(colours) == len(GENERATION_ROWS[0]["source"].split()) + 2 and any("220, 60, 40" in c or "40, 110, 220" in c for c in colours)
