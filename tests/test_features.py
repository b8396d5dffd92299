import numpy as np
import pytest
import torch
import torchaudio

from course import features
from course.data import synthvox
from tests.synthvox_tiny import TINY


@pytest.fixture(scope="module")
def speech():
    return [torch.from_numpy(synthvox.synthesize(TINY, s, 0, 1).astype(np.float32) / 32768) for s in (0, 3)]


def test_fbank_is_80_by_frames_with_25ms_windows_every_10ms(speech):
    wave = speech[0]
    assert features.fbank(wave).shape == (80, 1 + (wave.numel() - 400) // 160)


def test_num_frames_matches_kaldi_snip_edges(speech):
    assert features.fbank(speech[0]).shape[1] == features.num_frames(speech[0].numel())
    assert features.num_frames(399) == 0 and features.num_frames(400) == 1 and features.num_frames(560) == 2


def test_fbank_without_cmn_equals_torchaudio_kaldi_on_int16_scale(speech):
    wave = speech[0]
    reference = torchaudio.compliance.kaldi.fbank(wave[None] * 32768, num_mel_bins=80, dither=0.0,
                                                  window_type="povey", energy_floor=0.0).T
    torch.testing.assert_close(features.fbank(wave, mean_norm=False), reference)


def test_cmn_makes_every_bin_zero_mean(speech):
    feats = features.fbank(speech[0])
    torch.testing.assert_close(feats.mean(-1), torch.zeros(80), atol=1e-4, rtol=0)


def test_fbank_accepts_a_leading_channel_axis(speech):
    torch.testing.assert_close(features.fbank(speech[0][None]), features.fbank(speech[0]))


def test_fbank_refuses_stereo_and_too_short_input():
    with pytest.raises(ValueError, match="waveform"):
        features.fbank(torch.zeros(2, 16000))
    with pytest.raises(ValueError, match="shorter than one"):
        features.fbank(torch.zeros(100))


def test_masked_cmn_ignores_padding_and_keeps_it_zero():
    feats = torch.randn(2, 4, 10)
    lengths = torch.tensor([10, 6])
    out = features.cmn(feats, lengths)
    torch.testing.assert_close(out[1, :, :6], features.cmn(feats[1, :, :6]))
    assert torch.all(out[1, :, 6:] == 0)


def test_batched_fbank_is_within_the_stated_tolerance_of_kaldi(speech):
    batch = features.BatchFbank()
    for wave in speech:
        diff = (batch(wave[None])[0] - features.fbank(wave)).abs()
        assert diff.mean() < features.BATCH_TOLERANCE
        assert diff[features.BATCH_FIRST_CLOSE_BIN:].mean(-1).max() < features.BATCH_TOLERANCE_PER_BIN


def test_batched_fbank_padded_batch_equals_each_utterance_alone(speech):
    lengths = torch.tensor([w.numel() for w in speech])
    waves = torch.nn.utils.rnn.pad_sequence(speech, batch_first=True)
    feats, frames = features.BatchFbank()(waves, lengths)
    for i, wave in enumerate(speech):
        alone = features.BatchFbank()(wave[None])[0]
        assert frames[i] == alone.shape[1] == features.num_frames(wave.numel())
        torch.testing.assert_close(feats[i, :, : frames[i]], alone, atol=1e-4, rtol=1e-4)
        assert torch.all(feats[i, :, frames[i]:] == 0)


def test_fbank_old_cmn_keyword_still_works_with_a_deprecation_warning():
    wave = 0.1 * torch.randn(4000, generator=torch.Generator().manual_seed(0))
    with pytest.warns(DeprecationWarning, match="mean_norm"):
        old = features.fbank(wave, cmn=False)
    torch.testing.assert_close(old, features.fbank(wave, mean_norm=False))
    with pytest.raises(TypeError, match="cmm"):
        features.fbank(wave, cmm=False)
