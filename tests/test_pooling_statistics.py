"""TAP, TSDP and TSTP (Snyder et al. 2018): facts specific to them (the contract tests cover the rest)."""

import pytest
import torch
from pooling_properties import (
    assert_output_size,
    build,
)

from course.pooling.numerics import EPS

D = 10


@pytest.mark.parametrize(("name", "factor"), [("TAP", 1), ("TSDP", 1), ("TSTP", 2)])
def test_output_size_is_d_or_2d(name, factor):
    assert_output_size(build(name, D), factor * D, D)


def test_std_is_the_biased_one():
    x = torch.tensor([[[1.0, 3.0]]])  # mean 2, biased variance 1, unbiased 2
    torch.testing.assert_close(build("TSDP", 1)(x), torch.tensor([[1.0]]))


def test_std_of_constant_input_is_sqrt_eps_not_zero():
    x = torch.full((1, D, 7), 4.0)
    torch.testing.assert_close(build("TSDP", D)(x), torch.full((1, D), EPS**0.5))
