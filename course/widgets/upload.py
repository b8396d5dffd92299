"""Verify your own recordings: two file uploads (JupyterLab and Colab), an operating point, and the
calibrated log-likelihood ratio with the decision it gives. Until something is uploaded the two
default clips are compared, so the cell runs offline and in the build."""

from __future__ import annotations

import io
import math

import ipywidgets as widgets
import soundfile
import torch
from IPython.display import display

from course.audio import SAMPLE_RATE, AudioError
from course.calibration import bayes_threshold


def uploaded_bytes(upload) -> tuple[str, bytes] | None:
    """(name, content) of the file in a ``FileUpload``, under ipywidgets 8 (a tuple of dicts) or 7.7
    (a dict name → {"content": ...}); None when nothing was uploaded."""
    value = upload.value
    if not value:
        return None
    if isinstance(value, dict):  # ipywidgets 7.x
        name, item = next(iter(value.items()))
        return name, bytes(item["content"])
    item = value[0]
    return item["name"], bytes(item["content"])


def wave_from_bytes(name: str, content: bytes) -> torch.Tensor:
    """A 16 kHz mono waveform from an uploaded file's bytes; a clear error naming the file otherwise."""
    from course.signal import resample

    try:
        data, rate = soundfile.read(io.BytesIO(content), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as error:
        raise AudioError(f"{name}: unreadable or corrupt audio ({error}); upload a WAV, FLAC or OGG file") from None
    wave = torch.from_numpy(data.mean(axis=1))
    if rate != SAMPLE_RATE:
        wave = resample(wave, rate, SAMPLE_RATE)
    if wave.numel() < SAMPLE_RATE // 2:
        raise AudioError(f"{name}: {wave.numel() / SAMPLE_RATE:.2f} s of audio is too short (at least 0.5 s)")
    if not torch.isfinite(wave).all() or float((wave - wave.mean()).abs().max()) < 1e-6:
        raise AudioError(f"{name}: the audio is silent, constant or not finite")
    return wave


class VerifyRecordings:
    """``llr(wave_a, wave_b) -> float`` is the calibrated system; ``defaults`` = ((name, wave), (name, wave))."""

    def __init__(self, llr, defaults):
        self.llr, self.defaults = llr, defaults
        style = {"description_width": "initial"}
        self.controls = {
            "a": widgets.FileUpload(accept="audio/*,.wav,.flac,.ogg", multiple=False, description="recording A"),
            "b": widgets.FileUpload(accept="audio/*,.wav,.flac,.ogg", multiple=False, description="recording B"),
            "p_target": widgets.FloatLogSlider(value=0.01, base=10, min=-3, max=math.log10(0.5), step=0.05,
                                               description="P_target", continuous_update=False, style=style),
        }
        self.text = widgets.HTML()
        self.result: dict = {}
        for control in self.controls.values():
            control.observe(lambda change: self.refresh(), names="value")
        self.widget = widgets.VBox([widgets.HBox([self.controls["a"], self.controls["b"]]), self.controls["p_target"],
                                    self.text])
        self.refresh()

    def _recording(self, key: str, default) -> tuple[str, torch.Tensor]:
        upload = uploaded_bytes(self.controls[key])
        return (upload[0], wave_from_bytes(*upload)) if upload else default

    def refresh(self) -> None:
        try:
            (name_a, wave_a), (name_b, wave_b) = (self._recording("a", self.defaults[0]),
                                                  self._recording("b", self.defaults[1]))
        except AudioError as error:
            self.result = {"error": str(error)}
            self.text.value = f"<b>error:</b> {error}"
            return
        p = self.controls["p_target"].value
        llr, threshold = float(self.llr(wave_a, wave_b)), bayes_threshold(p)
        same = llr >= threshold
        self.result = {"a": name_a, "b": name_b, "llr": llr, "threshold": threshold, "same": same, "p_target": p}
        self.text.value = (f"{name_a} vs {name_b}: LLR {llr:+.2f} (the evidence: e^LLR = {math.exp(llr):.3g} times "
                           f"likelier if same speaker); at P_target = {p:.3g} accept when LLR ≥ {threshold:.2f} → "
                           f"<b>{'same speaker' if same else 'different speakers'}</b>")

    def _ipython_display_(self):
        display(self.widget)
