"""Assignment explorer for NetVLAD, GhostVLAD and LDE: pick the method, the number of
clusters, the sharpness and the utterance; see every frame's soft assignment over time.

The dictionary is not trained here: its centres are k-means centres of the frames
and the assignment is the soft nearest-centre rule softmax_k(−α‖x_t − c_k‖²), which
is exactly what NetVLAD's (w_k, b_k) = (2αc_k, −α‖c_k‖²) and LDE's s_c = α give.
GhostVLAD's ghosts are the G lowest-energy centres (silence-like frames).
"""

from __future__ import annotations

import ipywidgets as widgets
import torch

from course import pooling
from course.pooling.dictionary import kmeans
from course.viz.assignments import plot_assignments
from course.widgets.base import Explorer
from course.widgets.output import off_pyplot_redraw, show_figure
from course.widgets.stsp import FRAME_RATE

METHODS = ("NetVLAD", "GhostVLAD", "LDE")


def dictionary_pooling(method: str, frames: torch.Tensor, clusters: int, alpha: float, ghosts: int = 2,
                       seed: int = 0):
    """A NetVLAD/GhostVLAD/LDE module whose centres are k-means centres of ``frames`` (N, D)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    ghosts = ghosts if method == "GhostVLAD" else 0
    centres = kmeans(frames, clusters + ghosts, seed=seed)
    if ghosts:
        order = torch.argsort(centres.mean(1), descending=True)  # lowest mean energy last: the ghosts
        centres = centres[order]
    torch.manual_seed(seed)
    if method == "LDE":
        pool = pooling.build("LDE", frames.shape[1], num_centres=clusters).set_centres(centres, alpha)
    else:
        pool = pooling.build(method, frames.shape[1], num_clusters=clusters, ghost_clusters=ghosts)
        pool.set_centres(centres, alpha)
    pool.all_centres = centres  # kept clusters first, then the ghosts
    return pool.eval()


class AssignmentExplorer(Explorer):
    """The widget; ``controls`` can be set from code, ``last_plotted`` holds the arrays drawn."""

    def __init__(self, utterances: list[torch.Tensor], method: str = "NetVLAD", clusters: int = 4,
                 alpha: float = 0.002, frame_rate: float = FRAME_RATE):
        self.utterances = [u.detach().cpu().float() for u in utterances]
        self.all_frames = torch.cat(self.utterances, dim=1).T  # (N, D) for k-means
        self.frame_rate = frame_rate
        style = {"description_width": "initial"}  # a label as wide as its text, never cut
        self.controls = {
            "method": widgets.Dropdown(options=list(METHODS), value=method, description="method", style=style),
            "clusters": widgets.IntSlider(value=clusters, min=2, max=10, description="clusters K",
                                          continuous_update=False, style=style),
            "alpha": widgets.FloatLogSlider(value=alpha, base=10, min=-4, max=0, step=0.25,
                                            description="sharpness α", continuous_update=False, style=style),
            "utterance": widgets.IntSlider(value=0, min=0, max=len(self.utterances) - 1, description="utterance",
                                           continuous_update=False, style=style),
        }
        self.output = widgets.Output()
        self.last_plotted: dict = {}
        self._cache: dict = {}
        self.watch()
        c = self.controls
        self.widget = widgets.VBox([widgets.HBox([c["method"], c["utterance"]]),
                                    widgets.HBox([c["clusters"], c["alpha"]]), self.output])
        self.redraw()

    @off_pyplot_redraw
    def redraw(self) -> None:
        v = self.values()
        key = (v["method"], v["clusters"], v["alpha"])
        if key not in self._cache:
            self._cache = {key: dictionary_pooling(v["method"], self.all_frames, v["clusters"], v["alpha"])}
        pool = self._cache[key]
        x = self.utterances[v["utterance"]]
        with torch.no_grad():
            embedding, a = pool(x[None], return_weights=True)
        a = a[0].numpy()
        ghosts = a.shape[0] - v["clusters"]  # rows beyond the K kept clusters: the ghosts
        self.last_plotted = {"features": x.numpy(), "assignments": a, "counts": a.sum(1),
                             "centres": pool.all_centres.numpy(), "embedding": embedding[0].numpy(),
                             "ghosts": ghosts, "alpha": v["alpha"]}
        fig = plot_assignments(x.numpy(), a, a.sum(1), ghosts, self.frame_rate,
                               title=f"{v['method']}: K = {v['clusters']}, α = {v['alpha']:.3g}, "
                               f"utterance {v['utterance']}")
        self.figure = fig
        show_figure(self.output, fig)


def assignment_explorer(utterances: list[torch.Tensor], **settings) -> AssignmentExplorer:
    """Build the explorer for a list of utterances' frames, each (D, T)."""
    return AssignmentExplorer(utterances, **settings)
