"""MHA (India et al. 2019, heads split over channels) and MR-MHA (Wang et al. 2020, temperatures)."""

import pytest
import torch
from pooling_properties import (
    assert_output_size,
    build,
    random_batch,
    zero_,
)

D = 12
CONFIGS = [("MHA", {}), ("MHA", {"heads": 3, "with_std": True}), ("MR-MHA", {}),
           ("MR-MHA", {"temperatures": (0.5, 3.0), "bottleneck": 5})]


def score_layer(pool):
    return pool.score if hasattr(pool, "score") else pool.linear2


@pytest.mark.parametrize(("name", "kwargs", "size"), [
    ("MHA", {"heads": 4}, D), ("MHA", {"heads": 6, "with_std": True}, 2 * D),
    ("MR-MHA", {"heads": 3}, 2 * D * 3), ("MR-MHA", {"temperatures": (1.0,)}, 2 * D)])
def test_output_size_formula(name, kwargs, size):
    assert_output_size(build(name, D, **kwargs), size, D)


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS)
def test_uniform_attention_gives_statistics_pooling(name, kwargs):
    pool = build(name, D, **kwargs)
    zero_(score_layer(pool))
    x, lengths = random_batch(D)
    if name == "MHA":
        expected = build("TSTP" if pool.with_std else "TAP", D)(x, lengths)
    else:  # every head: [μ; σ]
        expected = build("TSTP", D)(x, lengths).repeat(1, pool.heads)
    torch.testing.assert_close(pool(x, lengths), expected)


def test_mha_head_weights_only_see_their_own_channels():
    pool = build("MHA", D, heads=3)
    x = torch.randn(1, D, 15)
    _, before = pool(x, return_weights=True)
    x[:, 4:8] += torch.randn(1, 4, 15)  # change the channels of head 2 only
    _, after = pool(x, return_weights=True)
    torch.testing.assert_close(after[:, [0, 2]], before[:, [0, 2]])
    assert not torch.allclose(after[:, 1], before[:, 1])


def test_mr_mha_higher_temperature_gives_flatter_weights():
    pool = build("MR-MHA", D, temperatures=(0.25, 1.0, 4.0))
    with torch.no_grad():  # the same scores for every head: only τ differs
        pool.linear2.weight.copy_(pool.linear2.weight[:1].expand_as(pool.linear2.weight) * 10)
        pool.linear2.bias.zero_()
    _, alpha = pool(torch.randn(2, D, 30), return_weights=True)
    entropy = -(alpha * alpha.clamp_min(1e-30).log()).sum(-1)  # (B, H)
    assert (entropy[:, 0] < entropy[:, 1]).all() and (entropy[:, 1] < entropy[:, 2]).all()


def test_heads_must_divide_channels():
    with pytest.raises(ValueError, match="in_dim=12 must be a positive multiple of heads=5"):
        build("MHA", D, heads=5)


def test_temperatures_must_be_positive():
    with pytest.raises(ValueError, match="temperatures: expected positive values"):
        build("MR-MHA", D, temperatures=(1.0, 0.0))
