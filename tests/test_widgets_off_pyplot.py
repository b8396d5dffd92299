"""An explorer's redraw makes its figure outside pyplot (``course.viz.figures``).

In JupyterLab 4.4+ with ipykernel 7 some widget comm messages are handled on a subshell thread
beside the main shell, each firing matplotlib-inline's ``flush_figures``, which displays and closes
every *pyplot* figure: a figure a redraw was still drawing got rendered twice at once (a blank image
in the browser test of notebook 12). A figure pyplot does not know cannot be touched that way.
"""

import threading

import matplotlib.pyplot as plt

from course.viz import figures
from course.widgets import attention as attention_widget
from course.widgets.attention import attention_explorer
from tests.test_widgets_attention import tiny_model, utterances


def test_a_redraw_keeps_its_figure_out_of_pyplot_and_draws_the_same(monkeypatch):
    shown = []
    explorer = attention_explorer(models={"ASTP": tiny_model("ASTP")}, utterances=utterances())
    open_before = set(plt.get_fignums())
    monkeypatch.setattr(attention_widget, "show_figure",
                        lambda output, fig: shown.append((fig, set(plt.get_fignums()), figures.is_off_pyplot())))
    explorer.controls["utterance"].value = 1
    fig, open_while_shown, off = shown[-1]
    assert off and open_while_shown == open_before, "the explorer's figure is registered with pyplot"
    assert fig.axes and fig.canvas.get_width_height() == (1000, 850)
    assert not figures.is_off_pyplot()  # only inside the redraw


def test_off_pyplot_is_per_thread_and_the_same_figure_api():
    seen = {}
    with figures.off_pyplot():
        worker = threading.Thread(target=lambda: seen.update(off=figures.is_off_pyplot()))
        worker.start()
        worker.join()
        fig, axes = figures.subplots(1, 2, figsize=(4, 2), gridspec_kw={"width_ratios": [2, 1]})
        assert len(axes) == 2 and fig not in [plt.figure(n) for n in plt.get_fignums()]
    assert seen == {"off": False}
    fig, ax = figures.subplots(figsize=(2, 2))
    assert fig.number in plt.get_fignums()  # outside: plt.subplots, shown by plt.show()
    plt.close(fig)


def test_plots_and_explorers_make_figures_through_course_viz_figures():
    import re
    from pathlib import Path

    root = Path(figures.__file__).resolve().parents[1]
    offenders = [str(p.relative_to(root)) for folder in ("viz", "widgets") for p in (root / folder).glob("*.py")
                 if p.name != "figures.py" and re.search(r"\bplt\.(figure|subplots)\(", p.read_text(encoding="utf-8"))]
    assert not offenders, f"use course.viz.figures.figure/subplots (off pyplot inside a redraw): {offenders}"
    for path in (root / "widgets").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert text.count("def redraw(") == text.count("@off_pyplot_redraw\n    def redraw("), path.name


def test_a_figure_off_pyplot_loads_pyplots_backend_first():
    # in a kernel the backend (matplotlib-inline) registers the PNG formatter: an explorer built before
    # any pyplot figure (notebook 06) showed only text/plain
    import subprocess
    import sys

    code = ("import matplotlib.pyplot as plt\nfrom course.viz import figures\nassert plt._backend_mod is None\n"
            "with figures.off_pyplot():\n    figures.figure()\nassert plt._backend_mod is not None\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
