"""A learner's view in its simplest form: JupyterLab in headless Chromium runs a
notebook and a slider move redraws the figure. Needs Debian's chromium and
Playwright (.ci/run installs both); skipped with a reason elsewhere."""

from __future__ import annotations

import nbformat

from tests.browser.lab import SCREENS, TOKEN


def write_notebook(path, code: str) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(code)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)


def test_moving_a_slider_redraws_the_figure(lab, browser):
    write_notebook(lab.root / "slider.ipynb", (
        "import ipywidgets as widgets, matplotlib.pyplot as plt, numpy as np\n"
        "from IPython.display import display\n"
        "slider = widgets.IntSlider(value=1, min=1, max=5, description='k')\n"
        "def draw(k):\n"
        "    t = np.linspace(0, 1, 200)\n"
        "    plt.plot(t, np.sin(2 * np.pi * k * t)); plt.title(f'k = {k}'); plt.show()\n"
        "display(widgets.VBox([slider, widgets.interactive_output(draw, {'k': slider})]))\n"))
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{lab.url}/lab/tree/slider.ipynb?reset&token={TOKEN}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
        page.wait_for_selector("text=| Idle", timeout=90_000)  # the kernel is up
        page.click(".jp-Notebook .jp-Cell .jp-InputArea-editor")
        page.keyboard.press("Shift+Enter")
        before = page.wait_for_selector(".widget-output img", timeout=90_000).get_attribute("src")
        handle = page.wait_for_selector(".widget-slider .noUi-handle", timeout=90_000)
        handle.focus()
        handle.press("ArrowRight")
        page.wait_for_function("before => { const i = document.querySelector('.widget-output img');"
                               " return i && i.getAttribute('src') !== before; }", arg=before, timeout=90_000)
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "slider.png"))
    finally:
        page.close()
        lab.shut_down("slider.ipynb")
