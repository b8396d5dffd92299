"""ERes2Net and ACA-Net train with course.train by registry name: the loss falls on SynthVox."""

import pytest
import torch

from course import models, train
from tests.synthvox_tiny import tiny_corpus

SMALL = {
    "eres2net": dict(channels=4, blocks=(1, 1, 1, 1), embed_dim=32),
    "aca_net": dict(latents=32, dim=32, blocks=1, cross_layers=1, latent_layers=1, heads=4, mlp_dim=64,
                    latent_mlp_dim=64),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return tiny_corpus(tmp_path_factory.mktemp("models_train"))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SMALL))
def test_training_by_name_lowers_the_loss_on_synthvox(corpus, name):
    pooling = "TSTP" if models.model_class(name).takes_pooling else None  # ACA-Net's attention is its own
    config = train.TrainConfig(model=name, model_kwargs=SMALL[name], pooling=pooling, head="softmax",
                               corpus=str(corpus), steps=24, batch_size=8, chunk_frames=80, lr=3e-3,
                               device="cpu", threads=1)
    result = train.fit(config, progress=False)
    assert type(result.model).registered_name == name
    losses = torch.tensor(result.losses)
    assert torch.isfinite(losses).all()
    assert losses[-4:].mean() < 0.8 * losses[:4].mean(), losses.tolist()
