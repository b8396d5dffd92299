"""Attention explorer: choose an utterance, a pooling and a head / query / channel,
and see the waveform, the fbank and the pooling's weights over time on one time axis.

The models are small ECAPA-TDNNs trained briefly on SynthVox with each pooling
(``course.train.cached_fit(course.train.small_config(pooling=NAME))``, cached by
config and code hash); tests pass their own models and utterances instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import torch

from course import pooling
from course.viz.attention import attention_entropy, plot_attention_timeline
from course.widgets.base import Explorer
from course.widgets.output import off_pyplot_redraw, show_figure

FIRST = ("ASTP", "SAP", "MHA", "MQMHASTP")


def weighted_poolings() -> list[str]:
    """Registered poolings whose weights are attention over time (``weights_over == "frames"``: each
    row sums to one over the T frames): ASTP, SAP, MHA, MQMHASTP first. Soft assignments to clusters
    (NetVLAD, LDE) and weights over STFT segments are left out: they are not one weight per frame."""
    names = pooling.weighted("frames")
    return [n for n in FIRST if n in names] + [n for n in names if n not in FIRST]


def trained_model(name: str) -> torch.nn.Module:
    """The small ECAPA-TDNN trained briefly on SynthVox with this pooling (cached)."""
    from course import train

    return train.cached_fit(train.small_config(pooling=name)).model


def default_utterances(limit: int = 12) -> list[Path]:
    """A few test utterances of the default SynthVox corpus (generated if absent)."""
    from course.data import default_corpus
    from course.data.corpus import test_utterances

    return test_utterances(default_corpus())[:limit]


def as_rows(weights: torch.Tensor) -> torch.Tensor:
    """Weights of one utterance as (rows, T): heads, queries, channels or clusters flattened."""
    w = weights[0]
    return w.unsqueeze(0) if w.dim() == 1 else w.reshape(-1, w.shape[-1])


def utterance_label(utterance) -> str:
    """speaker/session/file for a wav path, the given label for a (label, waveform, rate) tuple."""
    if isinstance(utterance, tuple):
        return str(utterance[0])
    path = Path(utterance)
    return "/".join(path.parts[-3:]) if len(path.parts) >= 3 else path.name


class AttentionExplorer(Explorer):
    """The widget; ``controls`` can be set from code, ``last_plotted`` holds the arrays drawn."""

    def __init__(self, models: Mapping[str, torch.nn.Module] | Callable[[str], torch.nn.Module] | None = None,
                 utterances: Sequence | None = None, poolings: Sequence[str] | None = None,
                 pooling_name: str | None = None):
        self._load = models.__getitem__ if isinstance(models, Mapping) else (models or trained_model)
        self._models: dict[str, torch.nn.Module] = {}
        self._computed: dict[tuple[int, str], dict] = {}
        self.utterances = list(utterances) if utterances is not None else default_utterances()
        if not self.utterances:
            raise ValueError("utterances: no utterances to explore")
        names = list(poolings) if poolings is not None else (
            list(models) if isinstance(models, Mapping) else weighted_poolings())
        pooling_name = pooling_name or names[0]
        style = {"description_width": "initial"}  # a label as wide as its text, never cut
        labels = [(utterance_label(u), i) for i, u in enumerate(self.utterances)]
        self.controls = {
            "utterance": widgets.Dropdown(options=labels, value=0, description="utterance", style=style),
            "pooling": widgets.Dropdown(options=names, value=pooling_name, description="pooling", style=style),
            "row": widgets.IntSlider(value=0, min=0, max=0, description="head / query / channel", style=style,
                                     continuous_update=False),
        }
        self.row_label = widgets.Label()
        self.output = widgets.Output()
        self.last_plotted: dict = {}
        self._set_row_range()
        self.watch()
        self.widget = widgets.VBox([widgets.HBox([self.controls["utterance"], self.controls["pooling"]]),
                                    widgets.HBox([self.controls["row"], self.row_label]), self.output])
        self.redraw()

    def model(self, name: str) -> torch.nn.Module:
        if name not in self._models:
            self._models[name] = self._load(name).eval()
        return self._models[name]

    def audio(self, index: int) -> tuple[torch.Tensor, int]:
        utterance = self.utterances[index]
        if isinstance(utterance, tuple):  # (label, waveform, sample_rate)
            return torch.as_tensor(utterance[1]), int(utterance[2])
        from course.audio import read

        return read(utterance)

    def compute(self, index: int, name: str) -> dict:
        """Waveform, fbank, the frames the pooling sees and its weights (rows, T) for one utterance."""
        if (index, name) not in self._computed:
            self._computed[index, name] = self._compute(index, name)
        return self._computed[index, name]

    def _compute(self, index: int, name: str) -> dict:
        from course.features import for_model, units_for_model

        waveform, rate = self.audio(index)
        feats = for_model(self.model(name))(waveform, rate)  # the features the model expects
        model = self.model(name)
        with torch.no_grad():
            frames, _ = model.frame_features(feats[None])
            _, weights = model.pooling(frames, return_weights=True)
        if weights is None:
            raise ValueError(f"pooling: {name} returns no attention weights; choose another")
        return {"waveform": waveform.numpy(), "sample_rate": rate, "fbank": feats.numpy(),
                "fbank_label": units_for_model(model),
                "frames": frames[0].numpy(), "weights": as_rows(weights).float().numpy()}

    def _set_row_range(self) -> None:
        data = self.compute(self.controls["utterance"].value, self.controls["pooling"].value)
        rows = data["weights"].shape[0]
        slider = self.controls["row"]  # adjusted while no redraw listens (before watch(), or inside changed())
        slider.value = min(slider.value, rows - 1)
        slider.max = rows - 1
        slider.disabled = rows == 1

    def changed(self, change) -> None:
        if change["owner"] is self.controls["pooling"]:
            self._load_visibly(change["new"])
            self._set_row_range()

    def _load_visibly(self, name: str) -> None:
        """Load (or first train) a model with its messages and progress bar inside the widget's Output:
        a callback's prints would otherwise go to the log, and the widget would look frozen."""
        if name in self._models:
            return
        with self.output:
            self.output.clear_output(wait=True)
            print(f"loading the model with {name} (trained now if it is not cached yet; progress below)…")
            self.model(name)

    @off_pyplot_redraw
    def redraw(self) -> None:
        v = self.values()
        data = self.compute(v["utterance"], v["pooling"])
        row = min(v["row"], data["weights"].shape[0] - 1)
        label = self.model(v["pooling"]).pooling.describe_weight_row(row)
        entropy = attention_entropy(data["weights"])
        self.row_label.value = f"{label}; entropy/log T of this row {entropy[row]:.3f}"
        self.last_plotted = {**data, "row": row, "row_weights": data["weights"][row], "entropy": entropy,
                             "pooling": v["pooling"], "utterance": utterance_label(self.utterances[v["utterance"]])}
        title = (f"{v['pooling']} on {self.last_plotted['utterance']}: {label} "
                 f"(mean entropy/log T over rows {float(np.mean(entropy)):.3f})")
        fig = plot_attention_timeline(data["waveform"], data["sample_rate"], data["fbank"], data["weights"], row,
                                      title=title, row_label=label, fbank_label=data["fbank_label"])
        self.figure = fig
        show_figure(self.output, fig)


def attention_explorer(models=None, utterances=None, poolings=None, pooling_name=None) -> AttentionExplorer:
    """Build and return the explorer (display it by leaving it last in a cell).

    Args:
        models: {pooling name: model} or a loader ``name -> model``; default: the
            small ECAPA-TDNNs trained briefly on SynthVox (cached).
        utterances: wav paths or (label, waveform, sample_rate) tuples; default:
            test utterances of the default SynthVox corpus.
        poolings: the menu; default every registered pooling that returns weights.
        pooling_name: the pooling shown first.
    """
    return AttentionExplorer(models, utterances, poolings, pooling_name)
