"""Learnable dictionary encoding (Cai, Chen, Li 2018): facts specific to it (the contract tests cover the rest)."""

import pytest
import torch
from pooling_properties import (
    assert_output_size,
    build,
)

D = 10


def test_output_size_is_c_times_d():
    assert_output_size(build("LDE", D, num_centres=3), 3 * D, D)


def test_weights_normalisation_gives_the_mean_residual_so_repeated_frames_give_x_minus_mu():
    pool = build("LDE", D)
    frame = torch.randn(D)
    out = pool(frame.view(1, D, 1).expand(1, D, 9).contiguous())
    expected = (frame - pool.centres).flatten()
    torch.testing.assert_close(out[0], expected.detach())


def test_frames_normalisation_keeps_the_soft_count():
    """Dividing by T instead of Σ_t w_tc scales e_c by the centre's share of the frames."""
    x = torch.randn(1, D, 13)
    by_weights, w = build("LDE", D, normalise="weights")(x, return_weights=True)
    by_frames = build("LDE", D, normalise="frames")(x)
    share = w.sum(-1) / 13  # (1, C)
    torch.testing.assert_close(by_frames.view(1, -1, D), by_weights.view(1, -1, D) * share.unsqueeze(-1))


def test_larger_smoothing_makes_assignments_harder():
    x = torch.randn(1, D, 30)
    pool = build("LDE", D)
    _, soft = pool(x, return_weights=True)
    with torch.no_grad():
        pool.smoothing.mul_(50)
    _, hard = pool(x, return_weights=True)
    assert hard.max(dim=1).values.mean() > soft.max(dim=1).values.mean()


def test_unknown_normalisation_is_named():
    with pytest.raises(ValueError, match="normalise must be 'weights' or 'frames'"):
        build("LDE", D, normalise="T")


def test_gradcheck_in_float64_for_the_centres_and_smoothing_factors():
    pool = build("LDE", 3, num_centres=2).double()
    x = torch.randn(2, 3, 5, dtype=torch.float64)
    lengths = torch.tensor([5, 2])
    centres = pool.centres.detach().clone().requires_grad_(True)
    smoothing = torch.full((2,), 0.7, dtype=torch.float64, requires_grad=True)

    def embed(mu, s):
        return torch.func.functional_call(pool, {"centres": mu, "smoothing": s}, (x, lengths))

    assert torch.autograd.gradcheck(embed, (centres, smoothing), eps=1e-6, atol=1e-5)
