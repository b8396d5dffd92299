"""Where the course's figures are made: in pyplot, or (inside an explorer's redraw) outside it.

JupyterLab 4.4+ opens a kernel *subshell* for widget comms (``commsOverSubshells``, default
``perCommTarget``) and ipykernel 7 handles the comm messages sent there on the subshell's own
thread, beside the main shell. Each comm message fires IPython's ``post_execute``, and
matplotlib-inline's ``flush_figures`` then displays and closes *every* open pyplot figure: one that
an explorer's redraw on the other thread is still drawing is rendered twice at once, and two
renders of one figure garble it (``bbox_inches="tight"`` rewrites the figure's bbox and dpi while
it draws): a blank image, or an image shrunk inside its axes. Inside :func:`off_pyplot` (the
explorers' redraws) :func:`figure` and
:func:`subplots` make a plain :class:`~matplotlib.figure.Figure` with an Agg canvas, which no other
thread can see; elsewhere they are ``plt.figure`` and ``plt.subplots``, so ``plt.show()`` in a
notebook works as usual.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib.pyplot as plt
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

_LOCAL = threading.local()
SUBPLOTS_KEYS = {"sharex", "sharey", "squeeze", "width_ratios", "height_ratios", "subplot_kw", "gridspec_kw"}


@contextmanager
def off_pyplot() -> Iterator[None]:
    """In this thread, until the block ends, new figures are not registered with pyplot."""
    previous = getattr(_LOCAL, "off", False)
    _LOCAL.off = True
    try:
        yield
    finally:
        _LOCAL.off = previous


def is_off_pyplot() -> bool:
    return getattr(_LOCAL, "off", False)


def figure(**kwargs) -> Figure:
    """``plt.figure(**kwargs)``, or inside :func:`off_pyplot` a Figure pyplot does not know."""
    if not is_off_pyplot():
        return plt.figure(**kwargs)
    # pyplot loads its backend lazily, at its first figure; in a kernel that backend (matplotlib-inline)
    # is what registers IPython's PNG formatter, so without it display(fig) would show only text/plain
    plt._get_backend_mod() if hasattr(plt, "_get_backend_mod") else plt.get_backend()
    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def subplots(nrows: int = 1, ncols: int = 1, **kwargs):
    """``plt.subplots(nrows, ncols, **kwargs)``, or inside :func:`off_pyplot` the same off pyplot."""
    if not is_off_pyplot():
        return plt.subplots(nrows, ncols, **kwargs)
    fig = figure(**{k: v for k, v in kwargs.items() if k not in SUBPLOTS_KEYS})
    return fig, fig.subplots(nrows, ncols, **{k: v for k, v in kwargs.items() if k in SUBPLOTS_KEYS})
