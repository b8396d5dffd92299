"""Margin explorer: pick a head, m and s; a 2-D toy encoder is trained briefly with
that head and its embeddings are drawn over the angular regions each class wins,
with and without the margin (``course.heads.toy``, plotted by ``course.viz.heads``)."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from course.env import torch_threads
from course.heads.toy import decision_regions, margin_regions, train_toy
from course.viz.heads import plot_toy_embeddings
from course.widgets.base import Explorer
from course.widgets.output import off_pyplot_redraw, show_figure


def plane_grid(limit: float, size: int) -> np.ndarray:
    """(size, size, 2) points covering [−limit, limit]², rows along the second coordinate."""
    axis = np.linspace(-limit, limit, size)
    xx, yy = np.meshgrid(axis, axis)
    return np.stack([xx, yy], axis=-1)


class MarginExplorer(Explorer):
    """The widget; ``controls`` can be set from code, ``last_plotted`` holds the arrays drawn."""

    def __init__(self, steps: int = 150, classes: int = 5, grid_size: int = 121, seed: int = 0):
        self.steps, self.classes, self.grid_size, self.seed = steps, classes, grid_size, seed
        style = {"description_width": "initial"}  # a label as wide as its text, never cut
        self.controls = {
            "head": widgets.Dropdown(options=["softmax", "add_margin", "arc_margin", "sphere"],
                                     value="arc_margin", description="head", style=style),
            "m": widgets.FloatSlider(value=0.2, min=0.0, max=0.8, step=0.05, description="m",
                                     continuous_update=False, style=style),
            "s": widgets.FloatSlider(value=32.0, min=1.0, max=64.0, step=1.0, description="s",
                                     continuous_update=False, style=style),
            "sphere_m": widgets.IntSlider(value=4, min=1, max=4, description="sphere m",
                                          continuous_update=False, style=style),
        }
        self.output = widgets.Output()
        self.last_plotted: dict = {}
        self.result = None
        self.watch()
        self._enable_relevant()
        self.widget = widgets.VBox([widgets.HBox([self.controls["head"], self.controls["sphere_m"]]),
                                    widgets.HBox([self.controls["m"], self.controls["s"]]), self.output])
        self.redraw()

    def changed(self, change) -> None:
        if change["owner"] is self.controls["head"]:
            self._enable_relevant()

    def _enable_relevant(self) -> None:
        """Grey out the knobs the chosen head ignores (softmax: m, s; sphere: m, s; others: sphere m)."""
        head = self.controls["head"].value
        self.controls["m"].disabled = self.controls["s"].disabled = head in ("softmax", "sphere")
        self.controls["sphere_m"].disabled = head != "sphere"

    @off_pyplot_redraw
    def redraw(self) -> None:
        v = self.values()
        result = train_toy(v["head"], margin=v["m"], scale=v["s"], sphere_m=v["sphere_m"], classes=self.classes,
                           steps=self.steps, seed=self.seed)
        limit = 1.1 * float(np.abs(result.embeddings).max())
        grid = plane_grid(limit, self.grid_size)
        points = grid.reshape(-1, 2)
        shape = grid.shape[:2]
        with torch_threads(1):
            decision = decision_regions(result.head, points).reshape(shape)
            margin = margin_regions(result.head, points).reshape(shape)
        self.result = result
        self.last_plotted = {"embeddings": result.embeddings, "labels": result.labels, "weights": result.weights,
                             "grid": grid, "decision": decision, "margin": margin, "losses": np.array(result.losses)}
        title = (f"{v['head']}: {_describe(v)}; train accuracy {result.accuracy:.0%}\n"
                 "pale: test-time regions, strong: still won with the margin")
        fig = plot_toy_embeddings(result.embeddings, result.labels, result.weights, grid, decision, margin,
                                  result.losses, title)
        self.figure = fig
        show_figure(self.output, fig)


def _describe(v: dict) -> str:
    if v["head"] == "softmax":
        return "no margin, no scale"
    if v["head"] == "sphere":
        return f"m = {v['sphere_m']} (integer), logits scaled by ‖x‖"
    return f"m = {v['m']:.2f}, s = {v['s']:.0f}"


def margin_explorer(steps: int = 150, classes: int = 5, grid_size: int = 121, seed: int = 0) -> MarginExplorer:
    """Build and return the explorer (display it by leaving it last in a cell)."""
    return MarginExplorer(steps, classes, grid_size, seed)
