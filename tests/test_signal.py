"""Known answers of the shared signal pieces (``course.signal``), and SynthVox's channel bytes pinned."""

import dataclasses
import hashlib
import math

import numpy as np
import pytest
import torch

from course.signal import coloured_noise, ms_to_samples, resample, room_impulse_response, samples_to_ms

FS = 16000


def torch_generator(seed=0):
    return torch.Generator().manual_seed(seed)


def numpy_generator(seed=0):
    return np.random.default_rng(seed)


def slope_db_per_octave(x, low=100.0, high=4000.0) -> float:
    """The slope of a straight line through the Welch power spectrum (dB) against log2 of frequency."""
    from scipy import signal

    f, pxx = signal.welch(np.asarray(x, dtype=np.float64), fs=FS, nperseg=4096)
    band = (f >= low) & (f <= high)
    return float(np.polyfit(np.log2(f[band]), 10 * np.log10(pxx[band]), 1)[0])


@pytest.mark.parametrize("method", ["spectrum", "filter"])
@pytest.mark.parametrize("make_generator", [torch_generator, numpy_generator])
@pytest.mark.parametrize(("colour", "db_per_octave"), [("white", 0.0), ("pink", -3.01), ("brown", -6.02)])
def test_noise_of_a_colour_falls_by_its_db_per_octave(colour, db_per_octave, method, make_generator):
    noise = coloured_noise(2**18, colour, make_generator(), method=method)
    assert slope_db_per_octave(noise) == pytest.approx(db_per_octave, abs=0.3)


def test_noise_is_of_its_generators_library():
    assert coloured_noise(100, "pink", torch_generator()).dtype == torch.float32
    assert coloured_noise(100, "pink", numpy_generator(), method="filter").dtype == np.float64
    assert isinstance(coloured_noise(100, "pink", numpy_generator()), np.ndarray)
    with pytest.raises(ValueError, match="colour"):
        coloured_noise(100, "blue", torch_generator())


def decay_db_per_second(rir) -> float:
    """The slope of the tail's energy (dB, 10 ms windows from 10 ms on) against time."""
    tail = np.asarray(rir, dtype=np.float64)[160:]
    windows = tail[: len(tail) // 160 * 160].reshape(-1, 160)
    t = (np.arange(len(windows)) + 0.5) * 0.01
    return float(np.polyfit(t, 10 * np.log10((windows**2).mean(1)), 1)[0])


@pytest.mark.parametrize("make_generator", [torch_generator, numpy_generator])
@pytest.mark.parametrize("rt60", [0.3, 0.6])
def test_room_impulse_response_decays_60_db_in_its_rt60(rt60, make_generator):
    rir = room_impulse_response(rt60, make_generator(), FS)
    assert len(rir) == int(rt60 * FS) and rir[0] == 1.0
    assert 60 / -decay_db_per_second(rir) == pytest.approx(rt60, rel=0.05)


@pytest.mark.parametrize("make_generator", [torch_generator, numpy_generator])
def test_room_tail_energy_is_the_stated_ratio_below_the_direct_path(make_generator):
    for db in (0.0, 20 * math.log10(2), 10.0):
        rir = room_impulse_response(0.4, make_generator(), FS, direct_to_reverberant_db=db)
        assert float((rir[1:] ** 2).sum()) == pytest.approx(10 ** (-db / 10), rel=1e-5)


def test_synthvox_room_decays_as_its_constant_says():
    rir = room_impulse_response(0.5, numpy_generator(), FS, log_decay=6.9)
    assert -decay_db_per_second(rir) * 0.5 == pytest.approx(20 * 6.9 / math.log(10), rel=0.05)  # 59.9 dB


def sine(rate, hz=1000.0, seconds=1.0):
    return np.sin(2 * np.pi * hz * np.arange(int(rate * seconds)) / rate)


def peak_hz(x, rate) -> float:
    spectrum = np.abs(np.fft.rfft(np.asarray(x) * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x))


@pytest.mark.parametrize(("method", "orig", "new"), [("fft", 22050, 16000), ("sinc", 22050, 16000),
                                                      ("sinc", 16000, 8000), ("fft", 8000, 16000)])
def test_resampling_a_sine_keeps_its_frequency_and_its_duration(method, orig, new):
    out = resample(sine(orig), orig, new, method=method)
    assert len(out) == pytest.approx(new, abs=1)
    assert peak_hz(out, new) == pytest.approx(1000.0, abs=new / len(out))
    middle = slice(len(out) // 4, 3 * len(out) // 4)  # away from the edges' ringing
    assert np.abs(np.asarray(out)[middle] - sine(new)[: len(out)][middle]).max() < 0.02


def test_resampling_keeps_the_library_and_dtype():
    wave = torch.randn(16000, generator=torch_generator())
    assert resample(wave, FS, 8000).dtype == torch.float32
    assert resample(wave, FS, 8000, method="fft").dtype == torch.float32
    assert isinstance(resample(wave.double().numpy(), FS, 8000), np.ndarray)
    assert resample(wave, FS, FS) is wave


def test_ms_and_samples_round_trip_at_16_khz():
    assert ms_to_samples(25, FS) == 400 and ms_to_samples(10, FS) == 160
    for samples in range(0, 5000, 7):
        assert ms_to_samples(samples_to_ms(samples, FS), FS, "nearest") == samples
    for ms in (0.0, 0.0625, 1.0, 10.0, 25.0, 29.75, 1000.0):  # whole numbers of 1/16 ms
        assert samples_to_ms(ms_to_samples(ms, FS), FS) == ms


def test_ms_to_samples_rounds_down_or_to_the_nearest():
    assert ms_to_samples(37.1, FS) == 593 and ms_to_samples(37.1, FS, "nearest") == 594  # 593.6 samples
    with pytest.raises(ValueError, match="rounding"):
        ms_to_samples(10, FS, "up")


@pytest.mark.parametrize("rate", [8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000])
def test_nearest_agrees_with_speechbrains_formula(rate):
    for ms in (25.0, 10.0):  # SpeechBrain: int(round(sample_rate / 1000.0 * ms)), course.features' twin
        assert ms_to_samples(ms, rate, "nearest") == int(round(rate / 1000.0 * ms))


# sha256 of the int16 samples below, computed with the code before course.signal existed. SynthVox corpora
# are cached by configuration: a change here changes every corpus, so it needs synthvox.FORMAT_VERSION
# bumped (and this digest updated) if it is meant.
SYNTHVOX_CHANNEL_SHA256 = "25207ff32bca718311beccda845deb04f5bc66b06f61aa4c918af6031ea3f48e"


def test_synthvox_channels_give_the_same_bytes_as_ever():
    from course.data import synthvox_channel as C

    digest = hashlib.sha256()
    speech = resample(np.random.default_rng(0).standard_normal(11025) * 0.1, 22050, 16000, method="fft")
    for i, noise in enumerate(C.NOISES):
        for rt60 in (0.0, 0.25):
            channel = dataclasses.replace(C.sample_channel(np.random.default_rng(i), 1.0), noise=noise, rt60_s=rt60)
            out = C.apply_channel(speech, channel, np.random.default_rng(100 + i))
            digest.update(np.round(out * 32768.0).clip(-32768, 32767).astype(np.int16).tobytes())
    assert digest.hexdigest() == SYNTHVOX_CHANNEL_SHA256
