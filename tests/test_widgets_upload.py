"""The recordings widget: defaults until something is uploaded, both ipywidgets formats, clear errors."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile
import torch

from course.audio import AudioError
from course.widgets.upload import VerifyRecordings, uploaded_bytes, wave_from_bytes


def wav_bytes(wave, rate=16000):
    buffer = io.BytesIO()
    soundfile.write(buffer, wave, rate, format="WAV")
    return buffer.getvalue()


class Fake:
    def __init__(self, value):
        self.value = value


def test_uploaded_bytes_reads_both_ipywidgets_formats():
    assert uploaded_bytes(Fake({"a.wav": {"content": b"xy"}})) == ("a.wav", b"xy")  # 7.7
    assert uploaded_bytes(Fake(({"name": "a.wav", "content": memoryview(b"xy")},))) == ("a.wav", b"xy")  # 8
    assert uploaded_bytes(Fake(())) is None


def test_other_rates_are_resampled_and_bad_files_named():
    wave = np.random.default_rng(0).normal(0, 0.1, 8000).astype(np.float32)
    assert wave_from_bytes("a.wav", wav_bytes(wave, 8000)).shape == (16000,)
    with pytest.raises(AudioError, match="b.wav: unreadable"):
        wave_from_bytes("b.wav", b"not audio")
    with pytest.raises(AudioError, match="c.wav: the audio is silent"):
        wave_from_bytes("c.wav", wav_bytes(np.full(16000, 0.5, np.float32)))


def test_the_defaults_are_compared_and_the_decision_follows_the_prior():
    defaults = (("x", torch.zeros(16000)), ("y", torch.zeros(16000)))
    widget = VerifyRecordings(lambda a, b: 2.0, defaults)
    widget.controls["p_target"].value = 0.5
    assert widget.result["same"] and widget.result["threshold"] == 0.0
    widget.controls["p_target"].value = 0.01  # threshold log 99 ≈ 4.6 > 2
    assert not widget.result["same"] and "different speakers" in widget.text.value
