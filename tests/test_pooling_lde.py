"""Learnable dictionary encoding (Cai, Chen, Li 2018): the module equals the formulas, with lengths."""

import pytest
import torch
from pooling_properties import (
    assert_finite_on_edge_cases,
    assert_finite_under_autocast,
    assert_gradcheck_float64,
    assert_invariant_to_permuting_time,
    assert_module_equals_reference,
    assert_output_size,
    assert_padded_batch_equals_single,
    build,
    random_batch,
)

from course.pooling.reference import lde as reference

D = 10
NORMALISATIONS = ["weights", "frames"]


@pytest.mark.parametrize("normalise", NORMALISATIONS)
@pytest.mark.parametrize("seed", [0, 1])
def test_module_equals_the_loop_formula_with_random_lengths(normalise, seed):
    pool = build("LDE", D, seed=seed, normalise=normalise)
    assert_module_equals_reference(pool, reference.lde, *random_batch(D, seed=seed))


@pytest.mark.parametrize("normalise", NORMALISATIONS)
def test_padded_batch_equals_single_utterances(normalise):
    assert_padded_batch_equals_single(build("LDE", D, normalise=normalise), *random_batch(D, seed=5))


def test_output_size_is_c_times_d():
    assert_output_size(build("LDE", D, num_centres=3), 3 * D, D)


def test_assignments_sum_to_one_over_centres_on_valid_frames():
    x, lengths = random_batch(D)
    _, w = build("LDE", D)(x, lengths, return_weights=True)
    for i, n in enumerate(lengths.tolist()):
        torch.testing.assert_close(w[i, :, :n].sum(0), torch.ones(n))
        assert (w[i, :, n:] == 0).all()


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


def test_invariant_to_permuting_time():
    assert_invariant_to_permuting_time(build("LDE", D), *random_batch(D))


@pytest.mark.parametrize("normalise", NORMALISATIONS)
def test_gradcheck_in_float64(normalise):
    assert_gradcheck_float64(build("LDE", 4, num_centres=3, normalise=normalise), 4)


def test_finite_on_constant_input_one_frame_and_one_valid_frame():
    assert_finite_on_edge_cases(build("LDE", D), D)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_finite_under_autocast(dtype):
    assert_finite_under_autocast(build("LDE", D), D, dtype)


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
