"""The test-time channels (``course.data.degrade``): lengths kept, what each removes or adds, seeded."""

import math

import pytest
import torch

from course.data import degrade as D


def g(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("condition", D.CONDITIONS)
def test_every_test_condition_keeps_the_length_and_is_seeded(condition):
    wave = torch.randn(16000, generator=g()) * 0.1
    out = D.degrade(wave, condition, g(1))
    assert out.shape == wave.shape and torch.isfinite(out).all()
    assert torch.equal(out, D.degrade(wave, condition, g(1)))


def test_telephone_removes_what_is_above_3400_hz():
    t = torch.arange(16000) / 16000
    tone = 0.3 * torch.sin(2 * math.pi * 5000 * t) + 0.3 * torch.sin(2 * math.pi * 1000 * t)
    spectrum = torch.fft.rfft(D.telephone(tone)).abs()
    assert spectrum[5000] < 0.01 * spectrum[1000]


def test_the_schroeder_reverb_decays_by_60_db_in_about_rt60():
    impulse = torch.zeros(48000)
    impulse[0] = 1.0
    tail = D.schroeder_reverb(impulse, rt60=1.0, reverberant_to_direct_db=40.0) ** 2
    early, late = tail[1600:4800].mean(), tail[16000 + 1600:16000 + 4800].mean()  # 0.1-0.3 s and 1.1-1.3 s
    assert 10 * math.log10(early / late) == pytest.approx(60, abs=6)


def test_hum_sits_on_the_mains_harmonics():
    noise = D.hum_and_crackle(16000, g(2))
    spectrum = torch.fft.rfft(noise).abs()
    f0 = 50 if spectrum[50] > spectrum[60] else 60
    assert spectrum[f0] > 20 * spectrum[f0 + 7] and noise.pow(2).mean() == pytest.approx(1, rel=1e-4)


def test_unknown_conditions_are_named():
    with pytest.raises(ValueError, match="condition"):
        D.degrade(torch.zeros(100), "underwater", g())
