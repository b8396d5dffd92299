"""course.features.speechbrain_fbank is SpeechBrain's Fbank + sentence mean normalisation."""

import math

import pytest
import torch

from course.features import FEATURES, fbank, for_model, speechbrain_fbank, speechbrain_mel_filters

sb_features = pytest.importorskip("speechbrain.lobes.features")
sb_processing = pytest.importorskip("speechbrain.processing.features")


def speechlike(seconds=1.3, seed=0, silence=0.3):
    """A harmonic tone with vibrato and noise, preceded by near-silence (exercises the top_db clamp)."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(int(seconds * 16000)) / 16000
    f0 = 140 + 20 * torch.sin(2 * math.pi * 3 * t)
    phase = 2 * math.pi * torch.cumsum(f0, 0) / 16000
    wave = sum(torch.sin(k * phase) / k for k in range(1, 12)) * 0.2 + 0.01 * torch.randn(len(t), generator=g)
    wave[: int(silence * 16000)] *= 1e-5
    return wave


def speechbrain_reference(wave):
    feats = sb_features.Fbank(n_mels=80)(wave[None])
    return sb_processing.InputNormalization(norm_type="sentence", std_norm=False)(feats, torch.ones(1))[0].T


@pytest.mark.parametrize("samples", [16000, 20811, 401])
def test_speechbrain_fbank_equals_speechbrain_fbank_and_sentence_norm(samples):
    wave = speechlike()[:samples]
    torch.testing.assert_close(speechbrain_fbank(wave), speechbrain_reference(wave), atol=1e-4, rtol=0)


def test_without_cmn_equals_speechbrain_fbank_exactly():
    wave = speechlike(seed=1)
    torch.testing.assert_close(speechbrain_fbank(wave, mean_norm=False), sb_features.Fbank(n_mels=80)(wave[None])[0].T,
                               atol=1e-4, rtol=0)


def test_mel_filters_equal_speechbrains_filterbank_matrix():
    bank = sb_processing.Filterbank(n_mels=80, f_max=8000, n_fft=400)
    f_central = bank.f_central.repeat(bank.all_freqs_mat.shape[1], 1).T
    band = bank.band.repeat(bank.all_freqs_mat.shape[1], 1).T
    torch.testing.assert_close(speechbrain_mel_filters(), bank._create_fbank_matrix(f_central, band))


def test_values_are_clamped_80_db_below_the_utterance_maximum():
    feats = speechbrain_fbank(speechlike(silence=0.5), mean_norm=False)
    assert feats.min() == pytest.approx(feats.max().item() - 80.0, abs=1e-3)


def test_frames_follow_the_centred_stft():
    assert speechbrain_fbank(torch.randn(16000)).shape == (80, 1 + 16000 // 160)
    assert fbank(torch.randn(16000)).shape == (80, 98)  # Kaldi's snip_edges: whole windows only


def test_too_short_waveform_is_refused_by_name():
    with pytest.raises(ValueError, match="waveform"):
        speechbrain_fbank(torch.randn(150))


def test_model_records_its_features():
    model = torch.nn.Linear(2, 2)
    assert for_model(model) is fbank
    model.feature_type = "speechbrain"
    assert for_model(model) is speechbrain_fbank is FEATURES["speechbrain"]
    model.feature_type = "mfcc"
    with pytest.raises(ValueError, match="feature_type"):
        for_model(model)


def test_frame_proxies_are_on_speechbrains_frame_grid():
    from course.features import frame_energy_db, periodicity

    wave = speechlike(seconds=1.234)
    frames = speechbrain_fbank(wave).shape[1]
    assert frame_energy_db(wave).shape == periodicity(wave).shape == (frames,)


def test_periodicity_separates_a_vowel_from_noise_and_energy_finds_the_pause():
    from course.features import frame_energy_db, periodicity

    t = torch.arange(16000) / 16000
    vowel = sum(torch.sin(2 * math.pi * k * 130 * t) / k for k in range(1, 6)) * 0.2
    noise = torch.randn(16000, generator=torch.Generator().manual_seed(0)) * 0.2
    assert periodicity(vowel)[5:-5].min() > 0.9 and periodicity(noise)[5:-5].max() < 0.4
    paused = torch.cat([vowel, torch.zeros(8000), vowel])
    energy = frame_energy_db(paused)
    assert energy[125:135].max() < energy[20:80].min() - 60  # frames 125-135 lie inside the pause
