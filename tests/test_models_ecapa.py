"""ECAPA-TDNN: sizes of the reference systems, shapes, flavours and batch invariance."""

import pytest
import torch

from course.models.ecapa import ECAPA_TDNN


def count(model):
    return sum(p.numel() for p in model.parameters())


def small(**kw):
    torch.manual_seed(0)
    return ECAPA_TDNN(in_dim=24, channels=32, se_bottleneck=16, embed_dim=16,
                      pooling_kwargs=kw.pop("pooling_kwargs", None), **kw).eval()


def test_speechbrain_flavour_c512_has_speechbrain_parameter_count():
    assert count(ECAPA_TDNN(channels=512, flavour="speechbrain")) == 6_194_048


def test_wespeaker_flavour_c512_has_wespeaker_parameter_count():
    assert count(ECAPA_TDNN(channels=512, flavour="wespeaker")) == 6_190_720


def test_speechbrain_flavour_c1024_has_speechbrain_recipe_parameter_count():
    assert count(ECAPA_TDNN(channels=1024, flavour="speechbrain")) == 20_767_552


def test_wespeaker_without_global_context_has_wespeaker_c512_count():
    assert count(ECAPA_TDNN(channels=512, pooling_kwargs={"global_context": False})) == 5_797_504


def test_wespeaker_c1024_keeps_mfa_at_1536_like_wespeaker():
    assert count(ECAPA_TDNN(channels=1024, mfa_channels=1536)) == 14_657_088
    assert count(ECAPA_TDNN(channels=1024, mfa_channels=1536,
                            pooling_kwargs={"global_context": False})) == 14_263_872


def test_flavour_difference_is_mfa_bn_plus_attention_bn():
    sb, we = ECAPA_TDNN(flavour="speechbrain"), ECAPA_TDNN(flavour="wespeaker")
    mfa_bn = count(sb.mfa.bn)
    attention_bn = count(sb.pooling.norm)
    assert (mfa_bn, attention_bn) == (2 * 1536, 2 * 128)
    assert count(sb) - count(we) == mfa_bn + attention_bn


@pytest.mark.parametrize("flavour,first_kept", [("wespeaker", False), ("speechbrain", True)])
def test_flavour_picks_which_res2_split_passes_through(flavour, first_kept):
    model = ECAPA_TDNN(in_dim=24, channels=32, flavour=flavour)
    res2 = model.blocks[0].res2.eval()
    x = torch.randn(2, 32, 10)
    y = res2(x)
    kept = slice(0, 4) if first_kept else slice(28, 32)
    torch.testing.assert_close(y[:, kept], x[:, kept], rtol=0, atol=0)


def test_output_shapes_follow_the_trace():
    model = small()
    x = torch.randn(3, 24, 40)
    assert model.frame_features(x)[0].shape == (3, 96, 40)
    assert model(x).shape == (3, 16)


@pytest.mark.parametrize("pooling", ["ASTP", "TSTP", "TAP"])
def test_any_registered_pooling_sets_the_embedding_input(pooling):
    model = small(pooling=pooling)
    assert model.embedding.in_features == model.pooling.out_dim
    assert model(torch.randn(2, 24, 12)).shape == (2, 16)


@pytest.mark.slow
@pytest.mark.parametrize("flavour", ["wespeaker", "speechbrain"])
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect"])
def test_padded_batch_equals_single_utterances(flavour, padding_mode):
    model = small(flavour=flavour, padding_mode=padding_mode)
    lengths = torch.tensor([40, 23, 9, 1])
    x = torch.randn(4, 24, 40)
    for b, n in enumerate(lengths):
        x[b, :, n:] = 1e3 * torch.randn(24, 40 - int(n))  # garbage in the padding
    with torch.no_grad():
        batched = model(x, lengths)
        alone = torch.cat([model(x[b:b + 1, :, :n]) for b, n in enumerate(lengths.tolist())])
    torch.testing.assert_close(batched, alone, rtol=1e-5, atol=1e-5)


def test_frame_features_are_zero_on_padded_frames():
    model = small()
    x = torch.randn(2, 24, 20)
    features, _ = model.frame_features(x, torch.tensor([20, 7]))
    assert features[1, :, 7:].abs().max() == 0


def test_full_lengths_equal_no_lengths():
    model = small()
    x = torch.randn(2, 24, 20)
    torch.testing.assert_close(model(x, torch.tensor([20, 20])), model(x), rtol=1e-6, atol=1e-6)


def test_gradients_reach_every_parameter():
    model = small(flavour="speechbrain").train()
    model(torch.randn(3, 24, 30), torch.tensor([30, 20, 10])).pow(2).sum().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert missing == []


def test_time_first_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="transpose"):
        small()(torch.randn(2, 30, 24))


def test_bad_flavour_is_rejected():
    with pytest.raises(ValueError, match="flavour"):
        ECAPA_TDNN(flavour="kaldi")


def test_scale_must_divide_channels():
    with pytest.raises(ValueError, match="scale"):
        ECAPA_TDNN(channels=36, scale=8)


def test_lengths_longer_than_the_input_get_a_clear_error():
    with pytest.raises(ValueError, match="lengths"):
        small()(torch.randn(2, 24, 10), torch.tensor([10, 11]))
