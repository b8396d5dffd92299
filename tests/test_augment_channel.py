"""Channel and SpecAugment augmentations, and the SynthVox voice-space knobs."""

import pytest
import torch

from course.data.augment import Augment, AugmentConfig
from course.data.augment_channel import band_limit, mu_law, spec_mask


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_spec_mask_zeroes_bands_and_spans_and_leaves_the_input_alone():
    feats = torch.ones(80, 200)
    out = spec_mask(feats, gen(), freq_masks=2, freq_width=8, time_masks=2, time_width=20)
    assert out.shape == feats.shape and torch.equal(feats, torch.ones(80, 200))
    zero_rows = int((out == 0).all(1).sum())
    zero_cols = int((out == 0).all(0).sum())
    assert zero_rows <= 16 and zero_cols <= 40 and (out == 0).any()


def test_spec_mask_is_a_function_of_the_generator():
    feats = torch.randn(80, 100)
    assert torch.equal(spec_mask(feats, gen(3)), spec_mask(feats, gen(3)))


def test_mu_law_round_trip_error_is_small_and_relative():
    x = 0.5 * torch.sin(torch.linspace(0, 100, 8000))
    y = mu_law(x)
    assert (y - x).abs().max() < 0.02 and not torch.equal(x, y)


def spectrum_share(wave, low_hz, high_hz, rate=16000):
    power = torch.fft.rfft(wave).abs() ** 2
    f = torch.fft.rfftfreq(wave.shape[-1], 1 / rate)
    return float(power[(f >= low_hz) & (f < high_hz)].sum() / power.sum())


def test_band_limit_removes_what_is_outside_the_band_and_keeps_the_power():
    wave = torch.randn(32000, generator=gen()) * 0.1
    out = band_limit(wave, gen(1), codec_prob=0.0)
    assert spectrum_share(out, 0, 60) < 0.2 * spectrum_share(wave, 0, 60)
    assert spectrum_share(out, 7000, 8000) < 0.05 * spectrum_share(wave, 7000, 8000)
    assert out.pow(2).mean().item() == pytest.approx(wave.pow(2).mean().item(), rel=1e-3)


def test_the_new_augmentations_are_off_by_default_and_draw_nothing():
    config = AugmentConfig(noise_kinds=("white",))
    augment = Augment(config)
    g1, g2 = gen(5), gen(5)
    augment(torch.randn(16000, generator=gen()), g1)
    Augment(AugmentConfig(noise_kinds=("white",), channel_prob=0.0))(torch.randn(16000, generator=gen()), g2)
    assert torch.equal(g1.get_state(), g2.get_state())
    feats = torch.randn(80, 50)
    assert augment.mask(feats, gen()) is feats


def test_channel_augmentation_changes_the_crop_when_on():
    wave = torch.randn(16000, generator=gen()) * 0.1
    off = Augment(AugmentConfig(noise_prob=0, reverb_prob=0, gain_prob=0, noise_kinds=("white",)))(wave, gen(2))
    on = Augment(AugmentConfig(noise_prob=0, reverb_prob=0, gain_prob=0, noise_kinds=("white",),
                               channel_prob=1.0))(wave, gen(2))
    assert torch.equal(off, wave.clamp(-1, 1)) and not torch.allclose(on, off)


def test_bad_spec_masks_are_a_clear_error():
    with pytest.raises(ValueError, match="spec_masks"):
        AugmentConfig(spec_masks={"freq_mask": 2})


def test_the_default_synthvox_key_is_unchanged_by_the_voice_space_knobs():
    from course.data.synthvox import DEFAULT, SMOKE

    assert DEFAULT.key() == "ef37ba8b004ebe1c" and SMOKE.key() == "b23e238914e6bbbf"


def test_held_out_voices_speak_only_languages_no_training_corpus_uses():
    from course.data.synthvox import DEFAULT, HELD_OUT, voice_of
    from course.data.synthvox_voices import ACCENTS, HELD_OUT_LANGUAGES

    held = {voice_of(HELD_OUT, s).accent for s in range(HELD_OUT.speakers)}
    trained = {voice_of(DEFAULT, s).accent for s in range(DEFAULT.speakers)}
    assert held <= set(HELD_OUT_LANGUAGES) and trained <= set(ACCENTS) and not held & trained


def test_the_klatt_knob_restricts_the_voice_source():
    from course.data.synthvox import SynthVoxConfig, voice_of

    config = SynthVoxConfig(klatt=(2, 4))
    assert {voice_of(config, s).klatt for s in range(40)} <= {2, 4}
    with pytest.raises(ValueError, match="klatt"):
        SynthVoxConfig(klatt=(6,))
