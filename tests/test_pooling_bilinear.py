"""Attentive bilinear pooling (ABP): the module equals the formulas, with lengths."""

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
    zero_,
)

from course.pooling.numerics import signed_sqrt
from course.pooling.reference import bilinear as reference

D = 10


@pytest.mark.parametrize("seed", [0, 1])
def test_module_equals_the_loop_formula_with_random_lengths(seed):
    assert_module_equals_reference(build("ABP", D, seed=seed), reference.abp, *random_batch(D, seed=seed))


def test_padded_batch_equals_single_utterances():
    assert_padded_batch_equals_single(build("ABP", D), *random_batch(D, seed=5))


def test_output_size_is_two_k_d():
    assert_output_size(build("ABP", D, heads=3), 2 * 3 * D, D)


def test_attention_maps_sum_to_one_over_valid_frames():
    x, lengths = random_batch(D)
    _, a = build("ABP", D)(x, lengths, return_weights=True)
    for i, n in enumerate(lengths.tolist()):
        torch.testing.assert_close(a[i, :, :n].sum(-1), torch.ones(a.shape[1]))
        assert (a[i, :, n:] == 0).all()


def test_first_and_second_order_halves_each_have_unit_norm():
    out = build("ABP", D)(torch.randn(3, D, 12))
    torch.testing.assert_close(out.view(3, 2, -1).norm(dim=-1), torch.ones(3, 2))


def test_uniform_attention_gives_normalised_mean_and_variance():
    pool = build("ABP", D, heads=1)
    zero_(pool.attention)
    x = torch.randn(1, D, 16)
    mean, var = x.mean(-1), x.var(-1, unbiased=False)
    normalise = torch.nn.functional.normalize
    expected = torch.cat([normalise(signed_sqrt(mean), dim=-1), normalise(signed_sqrt(var), dim=-1)], dim=1)
    torch.testing.assert_close(pool(x), expected)


def test_invariant_to_permuting_time():
    assert_invariant_to_permuting_time(build("ABP", D), *random_batch(D))


def test_gradcheck_in_float64():
    assert_gradcheck_float64(build("ABP", 4, heads=2), 4)


def test_signed_sqrt_has_a_finite_slope_at_zero():
    v = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    signed_sqrt(v).sum().backward()
    assert torch.isfinite(v.grad).all()


def test_finite_on_constant_input_one_frame_and_one_valid_frame():
    assert_finite_on_edge_cases(build("ABP", D), D)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_finite_under_autocast(dtype):
    assert_finite_under_autocast(build("ABP", D), D, dtype)
