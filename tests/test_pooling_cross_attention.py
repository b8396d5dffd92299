"""ACA pooling (ACA-Net, Interspeech 2023): learned latents cross-attend to the valid frames."""

import pytest
import torch
from pooling_properties import (
    assert_output_size,
    build,
)

from course.pooling.cross_attention import sinusoidal_encoding
from course.pooling.reference import cross_attention as reference

D = 8
SMALL = {"latents": 5, "dim": 16, "heads": 4}


def test_output_size_is_the_number_of_latents():
    assert_output_size(build("ACA", D, latents=7, dim=16), 7, D)


def test_positional_encoding_is_indexed_by_time_not_by_batch_position():
    pool = build("ACA", D, **SMALL)
    x = torch.randn(1, D, 12)
    torch.testing.assert_close(pool(x.expand(3, -1, -1))[2], pool(x)[0])


def test_sinusoidal_encoding_matches_the_formula():
    torch.testing.assert_close(sinusoidal_encoding(9, 6, dtype=torch.float64)[:, 7],
                               reference.positional_encoding(7, 6))


def test_dim_must_divide_by_heads():
    with pytest.raises(ValueError, match="divisible by heads"):
        build("ACA", D, dim=10, heads=4)
