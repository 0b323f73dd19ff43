"""Headless Chromium for the tests that open pages in a real browser.

Chromium runs the page (scripts included, if any got in) for a virtual 2 s and reports its
console: every console message and uncaught error appears on stderr as a ``CONSOLE`` line
with ``--enable-logging=stderr``, and so do Content-Security-Policy violations.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ARTIFACTS = Path(os.environ.get("WORKBENCH_TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--virtual-time-budget=2000", "--enable-logging=stderr", "--v=0"]


def _browser() -> str:
    browser = shutil.which("chromium")
    if browser is None:
        if os.environ.get("WORKBENCH_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed; `make test` installs Debian's chromium package")
        pytest.skip("chromium is not installed (make test installs it)")
    return browser


def _run(path: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = path.parent / f".chromium-profile-{os.getpid()}"
    shutil.rmtree(profile, ignore_errors=True)
    try:
        return subprocess.run([_browser(), *FLAGS, f"--user-data-dir={profile}", *extra, path.resolve().as_uri()],
                              capture_output=True, text=True, timeout=120, check=True)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def console_messages(stderr: str) -> list[str]:
    """The page's console messages (errors, warnings, CSP violations) in Chromium's log."""
    return [line for line in stderr.splitlines() if re.search(r":CONSOLE[:(]", line)]


def chromium_dom(path: Path) -> str:
    """The DOM of ``path`` after headless Chromium loaded it and ran whatever it would run."""
    return _run(path, "--dump-dom").stdout


def chromium_screenshot(path: Path, name: str) -> tuple[Path, list[str]]:
    """Screenshot ``path`` into the test artifacts as ``name``.png; return it and the console messages."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{name}.png"
    done = _run(path, f"--screenshot={shot}", "--window-size=1280,2400", "--hide-scrollbars")
    return shot, console_messages(done.stderr)


def in_chromium(path: Path, selector: str, expression: str = "e => e.innerText") -> list:
    """``expression`` (a JavaScript function of an element) on each element matching ``selector`` once Chromium has
    drawn ``path``; by default what a reader sees of it (``innerText``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_browser(), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(path.resolve().as_uri())
            return page.locator(selector).evaluate_all(f"elements => elements.map({expression})")
        finally:
            browser.close()
