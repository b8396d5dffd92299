"""ASP (Okabe et al. 2018, scalar weights) and ASTP (ECAPA, channel-wise weights ± global context)."""

import pytest
import torch
from pooling_properties import (
    assert_output_size,
    assert_padded_batch_equals_single,
    build,
    random_batch,
    zero_,
)

D = 12
CONFIGS = [("ASP", {}), ("ASP", {"activation": "relu", "bottleneck": 5}), ("ASTP", {}),
           ("ASTP", {"global_context": False, "bottleneck": 7})]


def test_speechbrain_flavour_padded_batch_equals_single_utterances_in_evaluation_mode():
    """attention_norm=True (ReLU → BatchNorm): no reference twin, so the contract tests leave it out."""
    assert_padded_batch_equals_single(build("ASTP", D, attention_norm=True), *random_batch(D, seed=2))


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS)
def test_output_size_is_2d(name, kwargs):
    assert_output_size(build(name, D, **kwargs), 2 * D, D)


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS)
def test_uniform_attention_gives_statistics_pooling(name, kwargs):
    pool = build(name, D, **kwargs)
    zero_(pool.linear2)  # equal scores for every frame ⇒ α = 1/T
    x, lengths = random_batch(D)
    torch.testing.assert_close(pool(x, lengths), build("TSTP", D)(x, lengths))


def test_asp_weights_are_one_scalar_per_frame_summing_to_one():
    x, lengths = random_batch(D)
    _, alpha = build("ASP", D)(x, lengths, return_weights=True)
    assert alpha.shape == (x.shape[0], 1, x.shape[-1])
    torch.testing.assert_close(alpha.sum(-1), torch.ones(x.shape[0], 1))


def test_astp_weights_are_channel_wise_and_zero_on_padding():
    x, lengths = random_batch(D)
    _, alpha = build("ASTP", D)(x, lengths, return_weights=True)
    assert alpha.shape == x.shape
    padding = torch.arange(x.shape[-1])[None, None, :] >= lengths[:, None, None]
    assert (alpha.masked_select(padding.expand_as(alpha)) == 0).all()


def test_astp_global_context_makes_the_weights_depend_on_the_utterance_statistics():
    """Appending [μ; σ] to each frame: the same frame gets a different score in another utterance."""
    pool = build("ASTP", D)
    frames = torch.randn(1, D, 10)
    louder = torch.cat([frames, 5 + 3 * torch.randn(1, D, 10)], dim=-1)
    _, alone = pool(frames, return_weights=True)
    _, together = pool(louder, return_weights=True)
    ratio_alone = alone[..., 0] / alone[..., 1]
    ratio_together = together[..., 0] / together[..., 1]  # frames 0 and 1 are the same in both
    assert not torch.allclose(ratio_alone, ratio_together, rtol=1e-3)


def test_unknown_activation_is_named():
    with pytest.raises(ValueError, match="activation: expected one of"):
        build("ASP", D, activation="gelu")
