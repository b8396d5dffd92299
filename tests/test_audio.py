import warnings

import numpy as np
import pytest
import soundfile
import torch

from course import audio


def _tone(seconds=0.5, rate=16000):
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def test_read_returns_float32_mono_and_the_rate(tmp_path):
    path = tmp_path / "a.wav"
    audio.write(path, _tone())
    wave, rate = audio.read(path)
    assert wave.dtype == torch.float32 and wave.shape == (8000,) and rate == 16000
    np.testing.assert_allclose(wave.numpy(), _tone(), atol=1 / 32767)


def test_stereo_is_downmixed_to_the_channel_mean(tmp_path):
    path = tmp_path / "stereo.wav"
    left, right = _tone(), np.zeros(8000, np.float32)
    soundfile.write(str(path), np.stack([left, right], 1), 16000, subtype="FLOAT")
    wave, _ = audio.read(path)
    np.testing.assert_allclose(wave.numpy(), left / 2, atol=1e-6)


def test_other_rates_are_resampled_with_a_warning_naming_the_file(tmp_path):
    path = tmp_path / "slow.wav"
    soundfile.write(str(path), _tone(rate=8000), 8000)
    with pytest.warns(UserWarning, match="slow.wav: 8000 Hz resampled"):
        wave, rate = audio.read(path)
    assert rate == 16000 and abs(wave.numel() - 8000) <= 1


def test_resampling_can_be_silent_or_skipped(tmp_path):
    path = tmp_path / "slow.wav"
    soundfile.write(str(path), _tone(rate=8000), 8000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        audio.read(path, warn=False)
        assert audio.read(path, sample_rate=None)[1] == 8000


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.wav"):
        audio.read(tmp_path / "nope.wav")


def test_corrupt_file_is_named(tmp_path):
    path = tmp_path / "corrupt.wav"
    path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    with pytest.raises(audio.AudioError, match="corrupt.wav: unreadable or corrupt"):
        audio.read(path)


def test_empty_file_is_named(tmp_path):
    path = tmp_path / "empty.wav"
    soundfile.write(str(path), np.zeros(0, np.float32), 16000)
    with pytest.raises(audio.AudioError, match="empty.wav: the file holds no samples"):
        audio.read(path)


def test_write_stores_16bit_pcm(tmp_path):
    audio.write(tmp_path / "a.wav", _tone())
    assert soundfile.info(str(tmp_path / "a.wav")).subtype == "PCM_16"


def test_fix_length_crops_long_input_to_a_window_of_the_input():
    x = torch.arange(100.0)
    out = audio.fix_length(x, 30, generator=torch.Generator().manual_seed(0))
    assert out.shape == (30,) and torch.equal(out, torch.arange(out[0].item(), out[0].item() + 30))


def test_fix_length_is_reproducible_with_a_seeded_generator():
    x = torch.randn(3, 500)
    a = audio.fix_length(x, 200, generator=torch.Generator().manual_seed(5))
    b = audio.fix_length(x, 200, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b)


def test_fix_length_repeats_short_input():
    out = audio.fix_length(torch.tensor([[1.0, 2.0, 3.0]]), 7)
    assert out.tolist() == [[1, 2, 3, 1, 2, 3, 1]]


def test_fix_length_without_generator_takes_the_centre():
    assert audio.fix_length(torch.arange(10.0), 4).tolist() == [3, 4, 5, 6]


@pytest.mark.parametrize("length,start", [(0, None), (5, 7)])
def test_fix_length_bad_arguments_are_named(length, start):
    with pytest.raises(ValueError, match="length|start"):
        audio.fix_length(torch.arange(10.0), length, start=start)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_samples_are_refused_naming_the_file(tmp_path, bad):
    path = tmp_path / "poisoned.wav"
    wave = _tone()
    wave[1600] = bad
    soundfile.write(str(path), wave, 16000, subtype="FLOAT")
    with pytest.raises(audio.AudioError, match=r"poisoned.wav: 1 NaN or infinite sample\(s\), the first at 1600"):
        audio.read(path)


def test_training_data_check_names_a_file_with_nan_before_training_starts(tmp_path):
    from course.data.corpus import check_audio

    good, poisoned = tmp_path / "good.wav", tmp_path / "poisoned.wav"
    audio.write(good, _tone())
    wave = _tone()
    wave[10:13] = np.nan
    soundfile.write(str(poisoned), wave, 16000, subtype="FLOAT")
    assert audio.non_finite_samples(good) == 0 and audio.non_finite_samples(poisoned) == 3
    with pytest.raises(ValueError, match=r"1 unusable audio file\(s\): .*poisoned.wav: 3 NaN or infinite"):
        check_audio([good, poisoned])
