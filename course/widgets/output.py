"""Redrawing a matplotlib figure inside an ``ipywidgets.Output`` (no ipympl needed)."""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt
from IPython.display import display

from course.viz.figures import off_pyplot


def show_figure(output, fig) -> None:
    """Replace what ``output`` shows with ``fig``, then close it so it is not drawn twice."""
    with output:
        output.clear_output(wait=True)
        display(fig)
    plt.close(fig)  # a pyplot figure (made outside an explorer's redraw); a no-op for the others


def off_pyplot_redraw(redraw):
    """For an explorer's ``redraw``: its figures are made outside pyplot (``course.viz.figures``), so
    a cell running on the main shell while a widget callback runs on a subshell thread (JupyterLab
    4.4+ with ipykernel 7) can neither display nor close them half-drawn."""

    @functools.wraps(redraw)
    def wrapper(self, *args, **kwargs):
        with off_pyplot():
            return redraw(self, *args, **kwargs)

    return wrapper
