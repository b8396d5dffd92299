"""SAP (Zhu et al. 2018): r heads of weighted means, E = Aᵀ H."""

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

from course.pooling.reference import attention as reference
from course.pooling.self_attentive import SelfAttentivePooling

D = 12
CONFIGS = [{}, {"heads": 1}, {"heads": 3, "bottleneck": 6, "activation": "tanh"}]


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_module_equals_the_equation_with_random_lengths(kwargs):
    x, lengths = random_batch(D, seed=7)
    assert_module_equals_reference(build("SAP", D, **kwargs), reference.sap, x, lengths)


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_padded_batch_equals_single_utterances(kwargs):
    assert_padded_batch_equals_single(build("SAP", D, **kwargs), *random_batch(D, seed=2))


@pytest.mark.parametrize("heads", [1, 2, 5])
def test_output_size_is_heads_times_d(heads):
    assert_output_size(build("SAP", D, heads=heads), heads * D, D)


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_uniform_attention_gives_the_mean_once_per_head(kwargs):
    pool = build("SAP", D, **kwargs)
    zero_(pool.linear2)
    x, lengths = random_batch(D)
    torch.testing.assert_close(pool(x, lengths), build("TAP", D)(x, lengths).repeat(1, pool.heads))


def test_penalty_is_zero_for_heads_on_disjoint_frames_and_positive_for_identical_heads():
    disjoint = torch.eye(3, 5)[None]  # head r puts all its weight on frame r
    identical = torch.full((1, 3, 5), 0.2)
    assert SelfAttentivePooling.penalty(disjoint) == 0
    assert SelfAttentivePooling.penalty(identical) > 0


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_invariant_to_permuting_time(kwargs):
    assert_invariant_to_permuting_time(build("SAP", D, **kwargs), *random_batch(D))


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_gradcheck_in_float64(kwargs):
    assert_gradcheck_float64(build("SAP", 6, **{**kwargs, "bottleneck": 4}), 6)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_finite_under_autocast(dtype):
    assert_finite_under_autocast(build("SAP", D), D, dtype)


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_finite_on_constant_one_frame_and_one_valid_frame(kwargs):
    assert_finite_on_edge_cases(build("SAP", D, **kwargs), D)
