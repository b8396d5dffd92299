"""Fbank explorer: vary the window length, the hop and the number of mel bins on one utterance
and watch the time-frequency trade-off (plotted by ``course.viz.features``)."""

from __future__ import annotations

import ipywidgets as widgets

from course.audio import SAMPLE_RATE
from course.features import FRAME_LENGTH_MS, FRAME_SHIFT_MS, NUM_MEL_BINS, fbank
from course.viz import figures
from course.viz.features import plot_features
from course.widgets.base import Explorer
from course.widgets.output import off_pyplot_redraw, show_figure


class FbankExplorer(Explorer):
    """The widget; ``controls`` can be set from code, ``last_plotted`` holds the matrix drawn."""

    def __init__(self, waveform, sample_rate: int = SAMPLE_RATE, title: str = "utterance"):
        self.waveform, self.sample_rate, self.title = waveform, sample_rate, title
        style = {"description_width": "initial"}  # a label as wide as its text, never cut
        self.controls = {
            "window_ms": widgets.FloatSlider(value=FRAME_LENGTH_MS, min=5.0, max=100.0, step=5.0,
                                             description="window (ms)", continuous_update=False, style=style),
            "hop_ms": widgets.FloatSlider(value=FRAME_SHIFT_MS, min=2.5, max=50.0, step=2.5, description="hop (ms)",
                                          continuous_update=False, style=style),
            "mel_bins": widgets.IntSlider(value=NUM_MEL_BINS, min=10, max=128, step=2, description="mel bins",
                                          continuous_update=False, style=style),
            "cmn": widgets.Checkbox(value=False, description="mean normalisation (CMN)", style=style),
        }
        self.output = widgets.Output()
        self.last_plotted: dict = {}
        self.figure = None
        self.watch()
        self.widget = widgets.VBox([widgets.HBox([self.controls["window_ms"], self.controls["hop_ms"]]),
                                    widgets.HBox([self.controls["mel_bins"], self.controls["cmn"]]), self.output])
        self.redraw()

    @off_pyplot_redraw
    def redraw(self) -> None:
        v = self.values()
        try:
            feats = fbank(self.waveform, self.sample_rate, num_mel_bins=v["mel_bins"], frame_length=v["window_ms"],
                          frame_shift=v["hop_ms"], mean_norm=v["cmn"])
        except Exception as error:  # noqa: BLE001 - e.g. more mel bins than FFT bins at a short window
            with self.output:
                self.output.clear_output(wait=True)
                print(f"these settings do not work: {error}")
            self.last_plotted = {}
            return
        self.last_plotted = {"features": feats.numpy(), **v}
        fig, ax = figures.subplots(figsize=(9, 3.2))
        plot_features(feats.numpy(), ax=ax, frame_shift_ms=v["hop_ms"],
                      title=f"{self.title}: {v['mel_bins']} mel bins, {v['window_ms']:g} ms window, "
                            f"{v['hop_ms']:g} ms hop → {feats.shape[1]} frames")
        fig.tight_layout()
        self.figure = fig
        show_figure(self.output, fig)


def fbank_explorer(waveform, sample_rate: int = SAMPLE_RATE, title: str = "utterance") -> FbankExplorer:
    """Build and return the explorer (display it by leaving it last in a cell)."""
    return FbankExplorer(waveform, sample_rate, title)
