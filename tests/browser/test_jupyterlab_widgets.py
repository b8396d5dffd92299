"""A learner's view: JupyterLab in headless Chromium runs a notebook and a slider
move redraws the figure. Needs Debian's chromium and Playwright (.ci/run installs
both); skipped with a reason elsewhere."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]
TOKEN = "course-browser-test"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
               "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}", "--allow-root",
               f"--ServerApp.root_dir={tmp_path}", f"--LabApp.workspaces_dir={tmp_path}",
               "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    log = open(tmp_path / "jupyterlab.log", "w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "COURSE_SMOKE": "1"})
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.terminate()
        pytest.fail(f"JupyterLab did not start: {(tmp_path / 'jupyterlab.log').read_text()[-2000:]}")
    yield url, tmp_path
    server.terminate()
    server.wait(timeout=30)


def write_notebook(path, code: str) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(code)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)


def run_and_slide(url: str, name: str, timeout_ms: int = 90_000) -> tuple[str, str]:
    """Open the notebook, run its cell, move the first slider; return the image before and after."""
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/lab/tree/{name}?token={TOKEN}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout_ms)
        page.wait_for_selector("text=| Idle", timeout=timeout_ms)  # the kernel is up
        page.click(".jp-Notebook .jp-Cell .jp-InputArea-editor")
        page.keyboard.press("Shift+Enter")
        image = page.wait_for_selector(".widget-output img, .jp-OutputArea-output img", timeout=timeout_ms)
        before = image.get_attribute("src")
        handle = page.wait_for_selector(".widget-slider .noUi-handle, .widget-slider .ui-slider-handle",
                                        timeout=timeout_ms)
        handle.focus()
        handle.press("ArrowRight")
        page.wait_for_function(
            "before => { const i = document.querySelector('.widget-output img, .jp-OutputArea-output img');"
            " return i && i.getAttribute('src') !== before; }", arg=before, timeout=timeout_ms)
        after = page.query_selector(".widget-output img, .jp-OutputArea-output img").get_attribute("src")
        page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"))
        browser.close()
        return before, after


SCREENSHOT_DIR = __import__("pathlib").Path(__file__).resolve().parents[2] / "build" / "browser"


def test_moving_a_slider_redraws_the_figure(jupyterlab):
    url, root = jupyterlab
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    write_notebook(root / "slider.ipynb", (
        "import ipywidgets as widgets, matplotlib.pyplot as plt, numpy as np\n"
        "from IPython.display import display\n"
        "slider = widgets.IntSlider(value=1, min=1, max=5, description='k')\n"
        "def draw(k):\n"
        "    t = np.linspace(0, 1, 200)\n"
        "    plt.plot(t, np.sin(2 * np.pi * k * t)); plt.title(f'k = {k}'); plt.show()\n"
        "display(widgets.VBox([slider, widgets.interactive_output(draw, {'k': slider})]))\n"))
    before, after = run_and_slide(url, "slider.ipynb")
    assert before != after
