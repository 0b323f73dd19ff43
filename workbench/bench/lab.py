"""A notebook run cell by cell in a real JupyterLab through headless Chromium: what the browser tests and the corpus
map benchmark both drive.

``jupyterlab(root)`` starts a server on a free port over ``root`` and stops it; ``notebook_in_lab`` opens a notebook
there in Chromium (Debian's, through Playwright), waits for its kernel through the server's API (the page's idle
indicator can read idle before the kernel takes input) and runs its cells as a user would, with Shift+Enter.
Checked: jupyterlab's own galata harness needs Node.js and a JupyterLab source build, which a user's machine lacks.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import WorkbenchError


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(root: Path) -> Iterator[tuple[str, str]]:
    """A JupyterLab server over ``root`` (its log in ``root/jupyterlab.log``); yields its base URL and token."""
    port, token = free_port(), secrets.token_hex(16)
    with (root / "jupyterlab.log").open("w") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                f"--port={port}",
                "--ip=127.0.0.1",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={root}",
                "--allow-root",
                "--LabApp.news_url=",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "JUPYTER_RUNTIME_DIR": str(root / "runtime")},
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
                raise WorkbenchError("JupyterLab did not start: " + (root / "jupyterlab.log").read_text()[-2000:])
            yield base, token
        finally:
            server.terminate()
            server.wait(30)


def wait_for_idle_kernel(base: str, token: str, timeout: float = 120.0) -> None:
    """Block until the server reports sessions whose kernels are all started and idle."""
    deadline, sessions = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        sessions = json.loads(urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=5).read())
        if sessions and all(s["kernel"]["execution_state"] == "idle" for s in sessions):
            return
        time.sleep(0.5)
    raise WorkbenchError(f"no idle kernel after {timeout:.0f} s: {sessions}")


@contextlib.contextmanager
def notebook_in_lab(
    base: str, token: str, notebook: str, browser: str, *, cells: int
) -> Iterator[tuple[Any, list[str]]]:
    """``notebook`` (a path under the server's root) open in Chromium at ``browser``, its first ``cells`` cells run;
    yields the Playwright page and the list its uncaught page errors collect in."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = chromium.new_page(viewport={"width": 1280, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base}/lab/tree/{notebook}?token={token}")
            page.locator(".jp-Notebook .jp-Cell").first.click(timeout=120_000)
            wait_for_idle_kernel(base, token)
            for _ in range(cells):
                page.keyboard.press("Shift+Enter")
            yield page, errors
        finally:
            chromium.close()


def painted_pixels(png: bytes) -> list[tuple[int, int]]:
    """The pixels of a screenshot in the corpus map's point colours (its red and blue-grey, blended with white by their
    opacity), not the white background or the grey of text: where points were drawn."""
    import io

    import numpy as np
    from PIL import Image

    r, g, b = np.moveaxis(np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int), 2, 0)
    ys, xs = np.nonzero((r - b > 40) | (b - r > 15))
    return list(zip(xs.tolist(), ys.tolist()))
