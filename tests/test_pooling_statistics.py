"""TAP, TSDP and TSTP (Snyder et al. 2018): the modules equal the formulas, with lengths."""

import pytest
import torch
from pooling_properties import (
    assert_finite_on_edge_cases,
    assert_finite_under_autocast,
    assert_gradcheck_float64,
    assert_invariant_to_permuting_time,
    assert_output_size,
    build,
    random_batch,
)

from course.pooling.numerics import EPS
from course.pooling.reference import statistics as reference

D = 10
FORMULAS = {"TAP": reference.tap, "TSDP": reference.tsdp, "TSTP": reference.tstp}


@pytest.mark.parametrize("name", FORMULAS)
def test_module_equals_the_loop_formula_with_random_lengths(name):
    pool = build(name, D)
    x, lengths = random_batch(D, seed=3)
    out = pool(x, lengths)
    for i, n in enumerate(lengths.tolist()):
        torch.testing.assert_close(out[i], FORMULAS[name](x[i, :, :n]), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(("name", "factor"), [("TAP", 1), ("TSDP", 1), ("TSTP", 2)])
def test_output_size_is_d_or_2d(name, factor):
    assert_output_size(build(name, D), factor * D, D)


def test_std_is_the_biased_one():
    x = torch.tensor([[[1.0, 3.0]]])  # mean 2, biased variance 1, unbiased 2
    torch.testing.assert_close(build("TSDP", 1)(x), torch.tensor([[1.0]]))


def test_std_of_constant_input_is_sqrt_eps_not_zero():
    x = torch.full((1, D, 7), 4.0)
    torch.testing.assert_close(build("TSDP", D)(x), torch.full((1, D), EPS**0.5))


@pytest.mark.parametrize("name", FORMULAS)
def test_invariant_to_permuting_time(name):
    assert_invariant_to_permuting_time(build(name, D), *random_batch(D))


@pytest.mark.parametrize("name", FORMULAS)
def test_gradcheck_in_float64(name):
    assert_gradcheck_float64(build(name, 6), 6)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_finite_under_autocast(dtype):
    assert_finite_under_autocast(build("TSTP", D), D, dtype)


@pytest.mark.parametrize("name", FORMULAS)
def test_finite_on_constant_one_frame_and_one_valid_frame(name):
    assert_finite_on_edge_cases(build(name, D), D)
