"""ERes2Net: 3D-Speaker's sizes, AFF, lengths through the strides, batch invariance."""

import pytest
import torch

from course.models.eres2net import AFF, ERes2Net, ERes2NetBlock, strided_lengths


def count(model):
    return sum(p.numel() for p in model.parameters())


def small(**kw):
    torch.manual_seed(0)
    values = dict(in_dim=24, channels=4, blocks=(1, 2, 2, 1), embed_dim=16)
    values.update(kw)
    return ERes2Net(**values).eval()


def randomise_batchnorm(model):
    """Non-trivial running statistics, so that eval-mode BatchNorm is not the identity."""
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d | torch.nn.BatchNorm1d):
            m.running_mean.copy_(0.1 * torch.randn(m.num_features, generator=g))
            m.running_var.copy_(1 + 0.5 * torch.rand(m.num_features, generator=g))
    return model


def test_base_has_3d_speaker_parameter_count():
    assert count(ERes2Net(channels=32)) == 6_610_688


def test_large_has_3d_speaker_parameter_count():
    assert count(ERes2Net(channels=64)) == 22_462_784


def test_shapes_follow_the_strides():
    model = small()
    out = model.trace(torch.randn(2, 24, 37))
    assert out["s1"].shape == (2, 8, 24, 37)
    assert out["s2"].shape == (2, 16, 12, 19)
    assert out["s3"].shape == (2, 32, 6, 10)
    assert out["s4"].shape == (2, 64, 3, 5)
    assert model.pooling.in_dim == 64 * 3
    assert model(torch.randn(2, 24, 37)).shape == (2, 16)


def test_lengths_are_ceil_half_per_stride():
    lengths = torch.tensor([1, 2, 3, 8, 9, 200])
    assert strided_lengths(lengths).tolist() == [1, 1, 2, 4, 5, 100]
    frames, frame_lengths = small().frame_features(torch.randn(6, 24, 200), lengths)
    assert frame_lengths.tolist() == [1, 1, 1, 1, 2, 25]
    assert frames.shape[-1] == 25


def test_frame_features_are_zero_on_padded_frames():
    frames, frame_lengths = small().frame_features(torch.randn(2, 24, 40), torch.tensor([40, 9]))
    assert frame_lengths.tolist() == [5, 2]
    assert frames[1, ..., 2:].abs().max() == 0 and frames[1, ..., :2].abs().max() > 0


@pytest.mark.parametrize("fuse_stages", [(3, 4), (1, 2, 3, 4)])
def test_padded_batch_equals_single_utterances(fuse_stages):
    model = randomise_batchnorm(small(fuse_stages=fuse_stages))
    lengths = torch.tensor([41, 30, 17, 8, 3, 2, 1])  # down to 1 frame, which survives every stride
    x = torch.randn(len(lengths), 24, 41)
    for b, n in enumerate(lengths):
        x[b, :, n:] = 1e3 * torch.randn(24, 41 - int(n))  # garbage in the padding
    with torch.no_grad():
        batched = model(x, lengths)
        for b, n in enumerate(lengths):
            alone = model(x[b:b + 1, :, :n])
            torch.testing.assert_close(batched[b:b + 1], alone, rtol=0, atol=1e-5)


def test_zero_length_is_a_clear_error():
    with pytest.raises(ValueError, match=r"lengths: every length must be in \[1, 16\]"):
        small()(torch.randn(2, 24, 16), torch.tensor([16, 0]))


def test_aff_weights_lie_in_0_2_and_average_x_and_y():
    torch.manual_seed(0)
    aff = AFF(8).eval()
    x, y = torch.randn(2, 8, 5, 7), torch.randn(2, 8, 5, 7)
    z, w = aff(x, y, return_weights=True)
    assert w.min() > 0 and w.max() < 2
    torch.testing.assert_close(z, x * w + y * (2 - w))
    torch.testing.assert_close(aff(x, x), 2 * x)  # equal inputs: w cancels


def test_aff_has_reduction_r_bottleneck():
    aff = AFF(64, reduction=4)
    assert aff.attention[0].out_channels == 16 and aff.attention[3].out_channels == 64


def test_fused_block_replaces_the_addition_by_aff():
    plain, fused = ERes2NetBlock(16, 8), ERes2NetBlock(16, 8, fuse=True)
    assert plain.fuse is None and len(fused.fuse) == 1
    assert count(fused) - count(plain) == count(AFF(4))


def test_stride_two_block_halves_time_and_frequency():
    block = ERes2NetBlock(8, 8, stride=2).eval()
    assert block(torch.randn(1, 8, 10, 9)).shape == (1, 16, 5, 5)
