"""The explorer in a real JupyterLab, driven through headless Chromium with Playwright.

A JupyterLab server starts on a free port over a folder holding a notebook that opens the
explorer on the tiny model; Chromium (Debian's, through Playwright) runs its cells, searches,
presses Explain and waits for the result, as a user would. A screenshot lands in test-artifacts/.
"""

from __future__ import annotations

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


def test_the_explorer_works_in_jupyterlab(jupyterlab, tiny_sharp_dir, tiny_csv):
    playwright = pytest.importorskip("playwright.sync_api")
    browser_path = shutil.which("chromium")
    if browser_path is None:
        if os.environ.get("WORKBENCH_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed; `make test` installs Debian's chromium package")
        pytest.skip("chromium is not installed (make test installs it)")
    base, token, root = jupyterlab
    scratch_notebook(root / "app.ipynb", f"model = {str(tiny_sharp_dir)!r}\ndata = {str(tiny_csv)!r}",
                     "import workbench as wb\nfrom workbench.widgets import Explorer\n"
                     "Explorer(wb.load_model(model), wb.load_dataset(data), num_samples=30)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{base}/lab/tree/app.ipynb?token={token}")
        page.locator(".jp-Notebook .jp-Cell").first.click(timeout=120_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", state="attached", timeout=120_000)
        for _ in range(3):
            page.keyboard.press("Shift+Enter")
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
        assert "comprehensiveness" in page.locator(".widget-html", has_text="Faithfulness").inner_text()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "explorer-jupyterlab.png"), full_page=True)
        browser.close()
    assert errors == []
