"""The model contract: one registry, one input check, frames and lengths from every model."""

import pytest
import torch

from course import models
from course.train import TrainConfig, builders

SMALL = {
    "ecapa": dict(in_dim=24, channels=16, mfa_channels=48, scale=4, se_bottleneck=8, embed_dim=12),
    "xvector": dict(in_dim=24, frame_layers=((16, 5, 1), (16, 3, 2), (32, 1, 1)), embed_dim=12),
    "eres2net": dict(in_dim=24, channels=4, blocks=(1, 1, 1, 1), embed_dim=12),
    "aca_net": dict(in_dim=24, latents=12, dim=16, blocks=1, cross_layers=1, latent_layers=1, heads=2,
                    mlp_dim=16, latent_mlp_dim=16),
}


def test_available_lists_every_model():
    assert models.available() == sorted(SMALL)


def test_aliases_build_the_same_class():
    assert models.model_class("ECAPA_TDNN") is models.ECAPA_TDNN
    assert models.model_class("tdnn") is models.XVector
    assert models.model_class("ACANet") is models.ACANet


def test_unknown_name_lists_the_available_ones():
    with pytest.raises(ValueError, match="unknown name 'resnet'; available: aca_net, ecapa"):
        models.build("resnet")


@pytest.mark.parametrize("name", sorted(SMALL))
def test_every_model_is_an_embedding_model_with_embed_dim(name):
    model = models.build(name, **SMALL[name]).eval()
    assert isinstance(model, models.EmbeddingModel)
    assert model(torch.randn(2, 24, 33)).shape == (2, model.embed_dim)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_forward_is_the_pooling_of_the_frame_features(name):
    model = models.build(name, **SMALL[name]).eval()
    x, lengths = torch.randn(3, 24, 33), torch.tensor([33, 20, 9])
    frames, frame_lengths = model.frame_features(x, lengths)
    torch.testing.assert_close(model(x, lengths), model.embed(model.pooling(frames, frame_lengths)))


@pytest.mark.parametrize("name", sorted(SMALL))
def test_time_first_input_gets_the_transpose_hint(name):
    model = models.build(name, **SMALL[name])
    with pytest.raises(ValueError, match=r"x: expected frames \(B, 24, T\).*time first\? transpose"):
        model(torch.randn(2, 40, 24))


@pytest.mark.parametrize("name", sorted(SMALL))
def test_bad_lengths_name_the_argument(name):
    model = models.build(name, **SMALL[name])
    with pytest.raises(ValueError, match="lengths"):
        model(torch.randn(2, 24, 16), torch.tensor([16, 0]))


@pytest.mark.parametrize("name", sorted(SMALL))
def test_trainer_builds_every_model_by_registry_name(name):
    kwargs = {k: v for k, v in SMALL[name].items() if k != "in_dim"}
    model = builders.build_model(TrainConfig(model=name, model_kwargs=kwargs, pooling="TSTP"), in_dim=24)
    assert type(model) is models.model_class(name)
    if name != "aca_net":  # ACA-Net's latent attention is its own pooling
        assert model.pooling.registered_name == "TSTP"
