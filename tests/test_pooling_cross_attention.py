"""ACA pooling (ACA-Net, Interspeech 2023): learned latents cross-attend to the valid frames."""

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

from course.pooling.cross_attention import sinusoidal_encoding
from course.pooling.reference import cross_attention as reference

D = 8
SMALL = {"latents": 5, "dim": 16, "heads": 4}


@pytest.mark.parametrize("positional", [True, False])
def test_module_equals_the_loop_formula_with_random_lengths(positional):
    pool = build("ACA", D, **SMALL, positional=positional)
    assert_module_equals_reference(pool, reference.aca, *random_batch(D, seed=4))


def test_padded_batch_equals_single_utterances():
    assert_padded_batch_equals_single(build("ACA", D, **SMALL), *random_batch(D, seed=5))


def test_output_size_is_the_number_of_latents():
    assert_output_size(build("ACA", D, latents=7, dim=16), 7, D)


def test_attention_sums_to_one_over_valid_frames_and_ignores_padding():
    x, lengths = random_batch(D)
    _, alpha = build("ACA", D, **SMALL)(x, lengths, return_weights=True)
    for i, n in enumerate(lengths.tolist()):
        torch.testing.assert_close(alpha[i, :, :n].sum(-1), torch.ones(SMALL["latents"]))
        assert (alpha[i, :, n:] == 0).all()


def test_positional_encoding_is_indexed_by_time_not_by_batch_position():
    pool = build("ACA", D, **SMALL)
    x = torch.randn(1, D, 12)
    torch.testing.assert_close(pool(x.expand(3, -1, -1))[2], pool(x)[0])


def test_sinusoidal_encoding_matches_the_formula():
    torch.testing.assert_close(sinusoidal_encoding(9, 6, dtype=torch.float64)[:, 7],
                               reference.positional_encoding(7, 6))


def test_invariant_to_permuting_time_without_positional_encoding():
    assert_invariant_to_permuting_time(build("ACA", D, **SMALL, positional=False), *random_batch(D))


def test_positional_encoding_makes_the_order_of_frames_matter():
    with pytest.raises(AssertionError):
        assert_invariant_to_permuting_time(build("ACA", D, **SMALL, positional=True), *random_batch(D))


def test_gradcheck_in_float64():
    assert_gradcheck_float64(build("ACA", 4, latents=3, dim=8, heads=2), 4)


def test_finite_on_constant_input_one_frame_and_one_valid_frame():
    assert_finite_on_edge_cases(build("ACA", D), D)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_finite_under_autocast(dtype):
    assert_finite_under_autocast(build("ACA", D), D, dtype)


def test_dim_must_divide_by_heads():
    with pytest.raises(ValueError, match="divisible by heads"):
        build("ACA", D, dim=10, heads=4)
