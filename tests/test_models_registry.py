"""The model contract: one registry, one input check, frames and lengths from every model."""

import pytest
import torch

from course import models
from course.models.base import EXAMPLE_IN_DIM
from course.train import TrainConfig, builders

NAMES = models.available()
# Every registered model in every small configuration its class lists in ``examples()``.
EXAMPLES = [(name, dict(kwargs, in_dim=EXAMPLE_IN_DIM))
            for name in NAMES for kwargs in models.model_class(name).examples()]
ids = [f"{name}-{i}" for name in NAMES for i, _ in enumerate(models.model_class(name).examples())]
examples = pytest.mark.parametrize("name,kwargs", EXAMPLES, ids=ids)


def test_available_lists_every_model():
    assert models.available() == ["aca_net", "ecapa", "eres2net", "xvector"]


@pytest.mark.parametrize("name", NAMES)
def test_every_model_lists_examples_and_declares_its_pooling(name):
    cls = models.model_class(name)
    assert cls.examples(), f"{name}: examples() lists no configuration"
    assert isinstance(cls.takes_pooling, bool)


def test_registration_refuses_a_model_that_does_not_declare_takes_pooling():
    class Undeclared(models.EmbeddingModel):
        pass

    with pytest.raises(TypeError, match="model 'undeclared': declare takes_pooling"):
        models.register("undeclared")(Undeclared)
    assert "undeclared" not in models.available()


def test_registration_refuses_a_class_that_is_not_an_embedding_model():
    with pytest.raises(TypeError, match="must subclass course.models.base.EmbeddingModel"):
        models.register("plain")(torch.nn.Linear)


def test_aliases_build_the_same_class():
    assert models.model_class("ECAPA_TDNN") is models.ECAPA_TDNN
    assert models.model_class("tdnn") is models.XVector
    assert models.model_class("ACANet") is models.ACANet


def test_unknown_name_lists_the_available_ones():
    with pytest.raises(ValueError, match="unknown name 'resnet'; available: aca_net, ecapa"):
        models.build("resnet")


@examples
def test_every_model_is_an_embedding_model_with_embed_dim(name, kwargs):
    model = models.build(name, **kwargs).eval()
    assert isinstance(model, models.EmbeddingModel)
    assert model(torch.randn(2, 24, 33)).shape == (2, model.embed_dim)


@examples
def test_forward_is_the_pooling_of_the_frame_features(name, kwargs):
    model = models.build(name, **kwargs).eval()
    x, lengths = torch.randn(3, 24, 33), torch.tensor([33, 20, 9])
    frames, frame_lengths = model.frame_features(x, lengths)
    torch.testing.assert_close(model(x, lengths), model.embed(model.pooling(frames, frame_lengths)))


@examples
def test_time_first_input_gets_the_transpose_hint(name, kwargs):
    model = models.build(name, **kwargs)
    with pytest.raises(ValueError, match=r"x: expected frames \(B, 24, T\).*time first\? transpose"):
        model(torch.randn(2, 40, 24))


@examples
def test_bad_lengths_name_the_argument(name, kwargs):
    model = models.build(name, **kwargs)
    with pytest.raises(ValueError, match="lengths"):
        model(torch.randn(2, 24, 16), torch.tensor([16, 0]))


@examples
def test_trainer_builds_every_model_by_registry_name(name, kwargs):
    takes_pooling = models.model_class(name).takes_pooling
    model_kwargs = {k: v for k, v in kwargs.items() if k not in ("in_dim", "pooling")}
    config = TrainConfig(model=name, model_kwargs=model_kwargs, pooling="TSTP" if takes_pooling else None)
    model = builders.build_model(config, in_dim=EXAMPLE_IN_DIM)
    assert type(model) is models.model_class(name)
    if takes_pooling:
        assert model.pooling.registered_name == "TSTP"


@pytest.mark.parametrize("name", NAMES)
def test_trainer_refuses_a_pooling_the_model_does_not_take_and_asks_for_one_it_needs(name):
    kwargs = {k: v for k, v in models.model_class(name).examples()[0].items() if k != "pooling"}
    if models.model_class(name).takes_pooling:
        with pytest.raises(ValueError, match=f"pooling: model '{name}' needs a pooling"):
            builders.build_model(TrainConfig(model=name, model_kwargs=kwargs, pooling=None), in_dim=EXAMPLE_IN_DIM)
    else:
        with pytest.raises(ValueError, match=f"pooling: model '{name}' takes no pooling.*pooling='ASTP'"):
            builders.build_model(TrainConfig(model=name, model_kwargs=kwargs), in_dim=EXAMPLE_IN_DIM)
