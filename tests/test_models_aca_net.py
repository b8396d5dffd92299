"""ACA-Net: the public example's size, time-indexed encoding, masks and batch invariance."""

import pytest
import torch

from course.models.aca_net import SMALL, ACANet, AttentionLayer
from course.pooling.cross_attention import sinusoidal_encoding


def count(model):
    return sum(p.numel() for p in model.parameters())


def small(**kw):
    torch.manual_seed(0)
    values = dict(in_dim=24, latents=12, dim=16, blocks=2, cross_layers=2, latent_layers=2, heads=4,
                  mlp_dim=32, latent_mlp_dim=24)
    values.update(kw)
    return ACANet(**values).eval()


def test_example_config_has_the_public_code_parameter_count():
    assert count(ACANet(latents=192, dim=256, blocks=2)) == 4_553_601


def test_embedding_size_is_the_number_of_latents():
    model = small(latents=20)
    assert model.embed_dim == 20 and model(torch.randn(3, 24, 17)).shape == (3, 20)


def test_small_config_runs():
    assert ACANet(**SMALL).eval()(torch.randn(1, 80, 50)).shape == (1, SMALL["latents"])


def test_positional_encoding_is_indexed_by_time_not_batch():
    model = small()
    x = torch.randn(1, 24, 9)
    frames, _ = model.frame_features(x.expand(3, -1, -1).contiguous())
    torch.testing.assert_close(frames[0], frames[2])  # the public code would differ per batch position
    no_pe, _ = small(positional=False).frame_features(x)
    torch.testing.assert_close(frames[:1] - no_pe, sinusoidal_encoding(9, 16)[None])


def test_padded_frames_get_zero_attention():
    model = small()
    frames, lengths = model.frame_features(torch.randn(2, 24, 30), torch.tensor([30, 11]))
    _, maps = model.pooling.attention_maps(frames, lengths)
    assert len(maps) == 4  # 2 blocks × 2 cross-attention layers
    for alpha in maps:
        assert alpha[1, :, 11:].abs().max() == 0
        torch.testing.assert_close(alpha.sum(-1), torch.ones(2, 12))


def test_padded_batch_equals_single_utterances():
    model = small()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean.normal_(0, 0.1)
            m.running_var.uniform_(1, 1.5)
    lengths = torch.tensor([40, 23, 9, 2, 1])
    x = torch.randn(len(lengths), 24, 40)
    for b, n in enumerate(lengths):
        x[b, :, n:] = 1e3 * torch.randn(24, 40 - int(n))
    with torch.no_grad():
        batched = model(x, lengths)
        for b, n in enumerate(lengths):
            torch.testing.assert_close(batched[b:b + 1], model(x[b:b + 1, :, :n]), rtol=0, atol=1e-5)


def test_attention_layer_is_pre_norm_on_keys_with_residual_queries():
    torch.manual_seed(0)
    layer = AttentionLayer(8, 16, heads=2).eval()
    q, kv = torch.randn(1, 3, 8), torch.randn(1, 5, 8)
    out, alpha = layer(q, kv)
    assert alpha.shape == (1, 2, 3, 5)
    out_scaled, _ = layer(q, 7 * kv + 2)  # LayerNorm on the keys/values: invariant to their scale and shift
    torch.testing.assert_close(out, out_scaled, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("heads", [3])
def test_heads_must_divide_the_width(heads):
    with pytest.raises(ValueError, match="divisible by heads"):
        AttentionLayer(8, 8, heads=heads)


def test_untrained_models_fail_notebook_07s_entropy_check(tmp_path):
    """Notebook 07 asserts the trained latents' attention gap exceeds ENTROPY_GAP_THRESHOLD; an untrained
    model of the same configuration, whatever its seed, must not pass, or the check proves nothing."""
    from course.audio import read
    from course.data.corpus import test_utterances
    from course.features import fbank
    from course.models.aca_net import ENTROPY_GAP_THRESHOLD, attention_entropy_gap
    from tests.synthvox_tiny import tiny_corpus

    corpus = tiny_corpus(tmp_path)
    wave, rate = read(test_utterances(corpus)[0])
    feats = fbank(wave, rate)[None]
    for seed in range(4):
        torch.manual_seed(seed)
        gap, weights = attention_entropy_gap(ACANet(**dict(SMALL, latents=64)).eval(), feats)
        assert 0 <= gap < ENTROPY_GAP_THRESHOLD, (seed, gap)
        assert torch.allclose(weights.sum(-1), torch.ones(64))
    # and the check can pass: larger query weights make the scores, and the attention, sharper
    torch.manual_seed(0)
    sharp = ACANet(**dict(SMALL, latents=64)).eval()
    with torch.no_grad():
        sharp.pooling.blocks[-1].cross[-1].query.weight.mul_(10.0)
    assert attention_entropy_gap(sharp, feats)[0] > ENTROPY_GAP_THRESHOLD
