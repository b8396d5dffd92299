"""Attentive bilinear pooling (ABP): facts specific to it (the contract tests cover the rest)."""

import torch
from pooling_properties import (
    assert_output_size,
    build,
    zero_,
)

from course.pooling.numerics import signed_sqrt

D = 10


def test_output_size_is_two_k_d():
    assert_output_size(build("ABP", D, heads=3), 2 * 3 * D, D)


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


def test_signed_sqrt_has_a_finite_slope_at_zero():
    v = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    signed_sqrt(v).sum().backward()
    assert torch.isfinite(v.grad).all()
