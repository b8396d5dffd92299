"""Run inside a notebook's kernel by the browser tests (not imported by pytest).

``_probe_explorers()`` finds the course's explorers (objects of ``course.widgets``
with ``controls`` and ``redraw``), tags each explorer's box and each control with a
CSS class so the browser can find them, and describes the controls.
``_probe_reference(k)`` redraws explorer ``k`` for the values its controls hold now
and returns the PNGs that IPython's display formatter makes of that figure: the
bytes ``display(fig)`` sends, without sending them. The figure is rendered three
times and the distinct PNGs are returned: in a kernel driven from the browser, a
render of the same figure was seen to come out different now and then (image
extent shrunk inside its axes; matplotlib 3.11, ipykernel 7.4; not reproduced in
a plain process), so the test accepts the browser's image if it equals one of them.
The likely cause, since removed: JupyterLab 4.4+ creates a kernel subshell for widget
comms, ipykernel 7 handles those comm messages on the subshell's thread and fires
``post_execute`` for each, and matplotlib-inline's ``flush_figures`` then rendered
and closed every *pyplot* figure, one the main thread was drawing included. The
explorers now draw off pyplot (``course.viz.figures.off_pyplot``).
``_probe_redraw_threads()`` and ``_probe_subshells()`` show where redraws ran.
"""

import gc as _gc
import sys as _sys

_PROBED = []


def _probe_explorers():
    if not _PROBED:
        classes = {c for name, module in list(_sys.modules.items()) if name.startswith("course.widgets.")
                   for c in vars(module).values()
                   if isinstance(c, type) and c.__module__ == name and hasattr(c, "redraw")}
        _PROBED.extend(o for o in _gc.get_objects() if type(o) in classes and hasattr(o, "controls"))
    described = []
    for k, explorer in enumerate(_PROBED):
        explorer.widget.add_class(f"course-explorer-{k}")
        controls = []
        for name, control in explorer.controls.items():
            control.add_class(f"course-control-{name}")
            controls.append({"name": name, "kind": type(control).__name__, "disabled": bool(control.disabled),
                             "value": repr(control.value), "min": getattr(control, "min", None),
                             "max": getattr(control, "max", None)})
        described.append({"index": k, "type": type(explorer).__name__, "controls": controls})
    return described


def _probe_reference(k):
    import matplotlib.pyplot as plt
    from IPython import get_ipython

    explorer = _PROBED[k]
    module = _sys.modules[type(explorer).__module__]
    drawn = []

    def capture(output, fig):
        for _ in range(3):
            drawn.append(get_ipython().display_formatter.format(fig)[0])
        plt.close(fig)

    original = module.show_figure
    module.show_figure = capture
    try:
        explorer.redraw()
    finally:
        module.show_figure = original
    import base64
    pngs = [d.get("image/png") for d in drawn]
    pngs = [base64.b64encode(p).decode() if isinstance(p, bytes) else p for p in pngs]

    values = {name: repr(control.value) for name, control in explorer.controls.items()}
    return {"values": values, "pngs": list(dict.fromkeys(pngs))}


def _probe_value(k, name):
    """repr of a control's value; the kernel answers after handling earlier widget messages."""
    return repr(_PROBED[k].controls[name].value)


def _probe_at_max(k, name):
    import math

    control = _PROBED[k].controls[name]
    if type(control).__name__.endswith("LogSlider"):
        return math.log(control.value, control.base) >= control.max - 1e-9
    return control.value >= control.max



def _probe_disabled(k, name):
    return bool(_PROBED[k].controls[name].disabled)


def _probe_redraw(k):
    """Redraw explorer ``k`` as its controls would (the figure goes to the browser)."""
    _PROBED[k].redraw()


_REDRAW_THREADS = set()


def _probe_watch_threads():
    """Record the thread of every redraw from now on (widget callbacks: a subshell's thread in
    JupyterLab 4.4+ with ipykernel 7, the main thread otherwise)."""
    import threading

    for explorer in _PROBED:
        if getattr(explorer, "_probe_watched", False):
            continue
        original = explorer.redraw

        def watched(original=original):
            _REDRAW_THREADS.add(threading.current_thread().name)
            return original()

        explorer.redraw = watched
        explorer._probe_watched = True


def _probe_redraw_threads():
    return sorted(_REDRAW_THREADS)


def _probe_subshells():
    """The kernel's subshells (ipykernel 7): JupyterLab 4.4+ sends widget messages to one."""
    from IPython import get_ipython

    kernel = get_ipython().kernel
    thread = getattr(kernel, "shell_channel_thread", None)
    return sorted(thread.manager.list_subshell()) if thread is not None else None
