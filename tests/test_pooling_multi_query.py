"""MQMHASTP (Zhao et al. 2022): Q queries × H heads, 1 or 2 layers, d_s ∈ {1, d_h}."""

import pytest
import torch
from pooling_properties import (
    assert_output_size,
    build,
    random_batch,
    zero_,
)

D = 12
CONFIGS = [{}, {"layers": 1}, {"queries": 3, "heads": 2, "d_s": 6, "d_k": 5},
           {"queries": 1, "heads": 3, "layers": 1, "d_s": 4}]


@pytest.mark.parametrize(("queries", "heads"), [(1, 1), (2, 4), (3, 2), (4, 6)])
def test_output_size_is_2_q_d_whatever_the_heads(queries, heads):
    assert_output_size(build("MQMHASTP", D, queries=queries, heads=heads), 2 * queries * D, D)


def test_one_query_one_head_two_layers_channel_wise_is_astp_without_global_context():
    astp = build("ASTP", D, global_context=False, bottleneck=128)
    mq = build("MQMHASTP", D, queries=1, heads=1, layers=2, d_s=D, d_k=128, seed=1)
    mq.linear1.load_state_dict(astp.linear1.state_dict())
    mq.linear2.load_state_dict(astp.linear2.state_dict())
    x, lengths = random_batch(D)
    torch.testing.assert_close(mq(x, lengths), astp(x, lengths))


def test_d_s_one_gives_scalar_weights_as_in_asp():
    asp = build("ASP", D, bottleneck=16)
    mq = build("MQMHASTP", D, queries=1, heads=1, layers=2, d_s=1, d_k=16, seed=1)
    mq.linear1.load_state_dict(asp.linear1.state_dict())
    mq.linear2.load_state_dict(asp.linear2.state_dict())
    x, lengths = random_batch(D)
    embedding, alpha = mq(x, lengths, return_weights=True)
    assert alpha.shape == (x.shape[0], 1, x.shape[-1])  # one weight per frame
    torch.testing.assert_close(embedding, asp(x, lengths))


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_uniform_attention_gives_statistics_pooling_per_query_and_head(kwargs):
    pool = build("MQMHASTP", D, **kwargs)
    zero_(pool.linear2 if pool.linear2 is not None else pool.linear1)
    x, lengths = random_batch(D)
    mean, std = build("TSTP", D)(x, lengths).view(-1, 2, pool.heads, pool.head_dim).unbind(1)
    per_head = torch.stack([mean, std], dim=2).flatten(1)  # [μ_1; σ_1; μ_2; σ_2; …]
    torch.testing.assert_close(pool(x, lengths), per_head.repeat(1, pool.queries))


def test_queries_attend_differently():
    _, alpha = build("MQMHASTP", D, queries=2, heads=1)(torch.randn(1, D, 20), return_weights=True)
    assert not torch.allclose(alpha[:, 0], alpha[:, 1])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"heads": 5}, "must be a positive multiple of heads=5"), ({"d_s": 2}, "d_s: expected 1 or d_h = 3"),
    ({"layers": 3}, "layers: expected 1 or 2"), ({"queries": 0}, "queries: expected a positive count")])
def test_bad_configuration_is_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build("MQMHASTP", D, **kwargs)
