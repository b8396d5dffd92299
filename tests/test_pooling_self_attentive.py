"""SAP (Zhu et al. 2018): r heads of weighted means, E = Aᵀ H."""

import pytest
import torch
from pooling_properties import (
    assert_output_size,
    build,
    random_batch,
    zero_,
)

from course.pooling.self_attentive import SelfAttentivePooling

D = 12
CONFIGS = [{}, {"heads": 1}, {"heads": 3, "bottleneck": 6, "activation": "tanh"}]


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
