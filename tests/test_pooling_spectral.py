"""STSP and attentive STSP (Tu and Mak, ICASSP 2021): what the spectra hold, and exactly when
the DC bins give statistics pooling (rectangular window, hop = W tiling the utterance)."""

import pytest
import torch
from pooling_properties import (
    assert_output_size,
    build,
    random_batch,
    zero_,
)

from course.pooling.spectral import dc_statistics, two_sided_counts

D = 6


@pytest.mark.parametrize("name", ["STSP", "AttentiveSTSP"])
def test_output_size_is_c_times_three_k_minus_one(name):
    assert_output_size(build(name, D, bins=3), D * (3 * 3 - 1), D)


def test_bins_beyond_nyquist_are_refused():
    with pytest.raises(ValueError, match="bins must be in"):
        build("STSP", D, window_length=8, bins=6)


def test_segment_attention_sums_to_one_over_valid_segments():
    x, lengths = random_batch(D, frames=60, seed=3)
    _, beta = build("AttentiveSTSP", D)(x, lengths, return_weights=True)
    counts = ((lengths - 16).clamp(min=0) // 8 + 1).tolist()
    for i, m in enumerate(counts):
        torch.testing.assert_close(beta[i, 0, :m].sum(), torch.tensor(1.0))
        assert (beta[i, 0, m:] == 0).all()


def test_attentive_stsp_with_uniform_attention_is_stsp():
    attentive, plain = build("AttentiveSTSP", D), build("STSP", D)
    zero_(attentive.score)
    x, lengths = random_batch(D, frames=60)
    torch.testing.assert_close(attentive(x, lengths), plain(x, lengths))


# --- when the DC bins give statistics pooling -------------------------------------------------

def rectangular(window_length, hop, bins=None):
    bins = window_length // 2 + 1 if bins is None else bins
    return build("STSP", D, window="rectangular", window_length=window_length, hop=hop, bins=bins)


def test_window_of_one_frame_gives_statistics_pooling_exactly():
    x = torch.randn(3, D, 25)
    first, power = rectangular(1, 1).spectra(x)
    mean, std = build("TSTP", D)(x).split(D, dim=1)
    torch.testing.assert_close(first[..., 0].real, mean)
    torch.testing.assert_close((power[..., 0] - first[..., 0].real ** 2).clamp(min=1e-5).sqrt(), std)


@pytest.mark.parametrize("window_length", [2, 4, 5])
def test_rectangular_window_with_hop_equal_to_window_tiling_the_utterance_gives_the_mean(window_length):
    x = torch.randn(2, D, 6 * window_length)  # W divides T
    first, _ = rectangular(window_length, window_length).spectra(x)
    torch.testing.assert_close(first[..., 0].real, x.mean(-1))


@pytest.mark.parametrize("window_length", [2, 4, 5])
def test_parseval_power_over_all_bins_minus_dc_squared_gives_the_variance(window_length):
    x = torch.randn(2, D, 6 * window_length)
    mean, var = dc_statistics(*rectangular(window_length, window_length).spectra(x), window_length)
    torch.testing.assert_close(mean, x.mean(-1))
    torch.testing.assert_close(var, x.var(-1, unbiased=False))


def test_dc_power_alone_is_not_the_second_moment_for_a_longer_window():
    """P[0] is the mean squared *segment* mean: E[x²] needs every bin (Parseval), not the DC one."""
    x = torch.randn(2, D, 40)
    _, power = rectangular(4, 4).spectra(x)
    assert not torch.allclose(power[..., 0], x.pow(2).mean(-1), atol=1e-2)


@pytest.mark.parametrize(("window", "window_length", "hop", "frames"), [
    ("rectangular", 4, 2, 40),  # overlapping segments: edge frames count less
    ("rectangular", 4, 4, 42),  # the last 2 frames fall outside every segment
    ("rectangular", 4, 6, 40),  # gaps between segments
    ("hann", 4, 4, 40),  # a tapered window weights frames unequally
])
def test_dc_is_not_the_mean_otherwise(window, window_length, hop, frames):
    x = torch.randn(2, D, frames)
    pool = build("STSP", D, window=window, window_length=window_length, hop=hop, bins=1)
    first, _ = pool.spectra(x)
    assert not torch.allclose(first[..., 0].real, x.mean(-1), atol=1e-3)


def test_dc_statistics_needs_every_bin():
    first, power = rectangular(4, 4, bins=2).spectra(torch.randn(1, D, 8))
    with pytest.raises(ValueError, match="needs all 3 one-sided bins"):
        dc_statistics(first, power, 4)


# --- order matters --------------------------------------------------------------------------

def test_reversing_tiled_frames_keeps_dc_and_power_but_changes_the_averaged_spectrum():
    """A reversed segment has the same |X[k]| (conjugate, shifted phase); the complex average does not."""
    x = torch.randn(1, D, 32)
    pool = rectangular(4, 4)
    (first, power), (first_r, power_r) = pool.spectra(x), pool.spectra(x.flip(-1))
    torch.testing.assert_close(first_r[..., 0], first[..., 0])
    torch.testing.assert_close(power_r, power)
    assert not torch.allclose(first_r[..., 1], first[..., 1], atol=1e-3)


def test_two_sided_counts_give_no_twin_to_dc_and_nyquist():
    torch.testing.assert_close(two_sided_counts(4), torch.tensor([1.0, 2.0, 1.0]))  # even W: Nyquist bin 2
    torch.testing.assert_close(two_sided_counts(5), torch.tensor([1.0, 2.0, 2.0]))  # odd W: no Nyquist bin
    torch.testing.assert_close(two_sided_counts(8, bins=3), torch.tensor([1.0, 2.0, 2.0]))


@pytest.mark.parametrize("window", ["rectangular", "hann"])
def test_dc_is_a_weighted_mean_uniform_inside_for_half_overlapping_windows(window):
    """S[0] = Σ_t ω_t x_t with Σ ω_t = 1; with hop W/2 the interior weights are equal: the gap to the
    mean is an edge effect."""
    window_length, frames = 8, 64
    pool = build("STSP", 1, window=window, window_length=window_length, hop=window_length // 2, bins=1)
    omega = pool.spectra(torch.eye(frames)[:, None, :])[0][:, 0, 0].real  # S[0] of each impulse
    torch.testing.assert_close(omega.sum(), torch.tensor(1.0))
    interior = omega[window_length:-window_length]
    torch.testing.assert_close(interior, torch.full_like(interior, interior[0].item()))
    assert omega[0] < interior[0]
