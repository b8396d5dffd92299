"""STSP explorer: pick a channel, the window length and shape, the hop and the number of
kept bins; see the channel's time series, its short-time spectrogram, the averaged
spectrum with the kept bins marked, and the DC values next to statistics pooling."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch

from course.features import FRAMES_PER_SECOND
from course.pooling.spectral import dc_statistics, make_window, short_time_spectrum, spectral_statistics
from course.viz.spectral import plot_stsp
from course.widgets.base import Explorer
from course.widgets.output import off_pyplot_redraw, show_figure

FRAME_RATE = FRAMES_PER_SECOND  # 100 frames per second at the 10 ms frame shift


def stsp_views(frames: torch.Tensor, channel: int, window_length: int, hop: int, bins: int,
               window: str = "rectangular", frame_rate: float = FRAME_RATE) -> dict:
    """The arrays the explorer draws for one utterance's ``frames`` (C, T), as NumPy arrays/floats."""
    if frames.dim() != 2:
        raise ValueError(f"frames: expected (C, T) for one utterance, got shape {tuple(frames.shape)}")
    if not 0 <= channel < frames.shape[0]:
        raise ValueError(f"channel must be in [0, {frames.shape[0] - 1}], got {channel}")
    series = frames[channel].double()
    frames_t = series.shape[0]
    all_bins = window_length // 2 + 1
    w = make_window(window, window_length, torch.float64)
    spectrum, valid = short_time_spectrum(series.view(1, 1, -1), None, w, hop, all_bins)
    spectrum = spectrum[:, :, : int(valid.sum())]
    beta = torch.full((1, spectrum.shape[2]), 1.0 / spectrum.shape[2], dtype=torch.float64)
    first, power = spectral_statistics(spectrum, beta)
    mean, var = dc_statistics(first, power, window_length)
    tstp_mean = float(series.mean())
    tstp_std = float(series.var(unbiased=False).sqrt())
    s0, p0 = float(first[0, 0, 0].real), float(power[0, 0, 0])
    return {
        "channel": channel, "window_length": window_length, "hop": hop, "window": window,
        "kept_bins": min(bins, all_bins), "frame_rate": frame_rate,
        "series": series.numpy(),
        "segment_starts": np.arange(spectrum.shape[2]) * hop,
        "freqs": np.arange(all_bins) * frame_rate / window_length,
        "spectrogram": spectrum[0, 0].abs().pow(2).numpy(),  # (M, W // 2 + 1)
        "averaged_power": power[0, 0].numpy(),
        "averaged_spectrum": first[0, 0].numpy(),
        "dc_mean": s0, "dc_std": float(np.sqrt(max(p0 - s0**2, 0.0))),
        "parseval_std": float(var.clamp(min=0).sqrt()),
        "tstp_mean": tstp_mean, "tstp_std": tstp_std,
        "dc_is_statistics": (window == "rectangular" or window_length == 1) and hop == window_length
        and frames_t % window_length == 0,  # a one-frame window is rectangular whatever its shape
    }


class STSPExplorer(Explorer):
    """The widget; ``controls`` can be set from code, ``last_plotted`` holds the arrays drawn."""

    def __init__(self, frames: torch.Tensor, channel: int = 0, window_length: int = 16, hop: int = 8,
                 bins: int = 4, window: str = "hann", frame_rate: float = FRAME_RATE):
        self.frames, self.frame_rate = frames.detach().cpu(), frame_rate
        channels, length = self.frames.shape
        # "initial": a label is as wide as its text, never cut (it was "head/query/ch…" in the attention explorer)
        slider = {"continuous_update": False, "style": {"description_width": "initial"}}
        self.controls = {
            "channel": widgets.IntSlider(value=channel, min=0, max=channels - 1, description="channel", **slider),
            "window_length": widgets.IntSlider(value=window_length, min=1, max=min(64, length),
                                               description="window W (frames)", **slider),
            "hop": widgets.IntSlider(value=hop, min=1, max=min(64, length), description="hop h (frames)", **slider),
            "bins": widgets.IntSlider(value=bins, min=1, max=33, description="kept bins K", **slider),
            "window": widgets.Dropdown(options=["rectangular", "hann"], value=window, description="window shape",
                                       style=slider["style"]),
        }
        self.output = widgets.Output()
        self.last_plotted: dict = {}
        self.watch()
        c = self.controls
        self.widget = widgets.VBox([widgets.HBox([c["channel"], c["window"]]),
                                    widgets.HBox([c["window_length"], c["hop"], c["bins"]]), self.output])
        self.redraw()

    @off_pyplot_redraw
    def redraw(self) -> None:
        v = self.values()
        self.last_plotted = stsp_views(self.frames, v["channel"], v["window_length"], v["hop"], v["bins"],
                                       v["window"], self.frame_rate)
        fig = plot_stsp(self.last_plotted, title=f"STSP, {v['window']} window of {v['window_length']} frames, "
                        f"hop {v['hop']}, K = {self.last_plotted['kept_bins']}")
        self.figure = fig
        show_figure(self.output, fig)


def stsp_explorer(frames: torch.Tensor, **settings) -> STSPExplorer:
    """Build the explorer for one utterance's frames (C, T); leave it last in a cell to show it."""
    return STSPExplorer(frames, **settings)
