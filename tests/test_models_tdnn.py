"""x-vector TDNN: Snyder et al.'s layer sizes and contexts, batch invariance."""

import pytest
import torch

from course.models.tdnn import XVector


def count(module):
    return sum(p.numel() for p in module.parameters())


def test_frame_layers_have_the_paper_contexts():
    model = XVector()
    contexts = [(layer.conv.kernel_size[0], layer.conv.dilation[0]) for layer in model.frames]
    assert contexts == [(5, 1), (3, 2), (3, 3), (1, 1), (1, 1)]
    assert [layer.conv.out_channels for layer in model.frames] == [512, 512, 512, 512, 1500]


def test_embedding_part_has_speechbrain_xvector_size():
    from speechbrain.lobes.models.Xvector import Xvector

    model = XVector(in_dim=80)
    assert count(model) - count(model.segment7) == count(Xvector(in_channels=80))


def test_statistics_pooling_gives_3000_and_embedding_512():
    model = XVector().eval()
    x = torch.randn(2, 80, 30)
    assert model.pooling.out_dim == 3000
    assert model(x).shape == (2, 512)
    assert model.hidden(x).shape == (2, 512)


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect"])
def test_padded_batch_equals_single_utterances(padding_mode):
    torch.manual_seed(0)
    layers = ((32, 5, 1), (32, 3, 2), (32, 3, 3), (32, 1, 1), (64, 1, 1))
    model = XVector(in_dim=24, frame_layers=layers, embed_dim=16, hidden_dim=16, padding_mode=padding_mode).eval()
    lengths = torch.tensor([30, 17, 8, 1])
    x = torch.randn(4, 24, 30)
    for b, n in enumerate(lengths):
        x[b, :, n:] = 1e3  # garbage in the padding
    with torch.no_grad():
        batched = model(x, lengths)
        alone = torch.cat([model(x[b:b + 1, :, :n]) for b, n in enumerate(lengths.tolist())])
    torch.testing.assert_close(batched, alone, rtol=1e-5, atol=1e-5)


def test_any_registered_pooling_works():
    model = XVector(in_dim=24, frame_layers=((16, 5, 1), (32, 1, 1)), embed_dim=8, pooling="ASTP").eval()
    assert model(torch.randn(2, 24, 10)).shape == (2, 8)


def test_wrong_feature_size_gets_a_clear_error():
    with pytest.raises(ValueError, match="x: expected"):
        XVector(in_dim=24)(torch.randn(2, 80, 10))


def test_measured_receptive_field_is_the_counted_one():
    from course.models.receptive_field import measured_receptive_field, receptive_field

    layers = ((16, 5, 1), (16, 3, 2), (16, 3, 3), (16, 1, 1), (32, 1, 1))
    model = XVector(in_dim=8, frame_layers=layers).eval()
    counted = receptive_field((k, d) for _, k, d in layers)
    assert counted == 15
    assert measured_receptive_field(model.frame_features, 8, frames=41) == counted


def test_build_by_name():
    from course.models import build

    assert isinstance(build("xvector", in_dim=24, frame_layers=((8, 1, 1),), embed_dim=4), XVector)
    with pytest.raises(ValueError, match="unknown name"):
        build("resnet")
