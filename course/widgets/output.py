"""Redrawing a matplotlib figure inside an ``ipywidgets.Output`` (no ipympl needed)."""

from __future__ import annotations

import matplotlib.pyplot as plt
from IPython.display import display


def show_figure(output, fig) -> None:
    """Replace what ``output`` shows with ``fig``, then close it so it is not drawn twice."""
    with output:
        output.clear_output(wait=True)
        display(fig)
    plt.close(fig)
