"""Parity with SpeechBrain 1.1.2's ECAPA_TDNN through course.models.speechbrain_weights."""

import pytest
import torch

from course.checks import assert_close
from course.models.speechbrain_weights import ecapa_from_speechbrain, load_speechbrain_checkpoint, speechbrain_to_course

ECAPA = pytest.importorskip("speechbrain.lobes.models.ECAPA_TDNN").ECAPA_TDNN


def randomised_speechbrain(channels=128, seed=0, **kw):
    """A SpeechBrain ECAPA with every weight and every BN buffer drawn at random."""
    torch.manual_seed(seed)
    model = ECAPA(40, channels=[channels] * 4 + [3 * channels], lin_neurons=24, **kw)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.1 if p.dim() > 1 else 0.5)
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.normal_(0.0, 0.5)
            elif name.endswith("running_var"):
                b.uniform_(0.5, 2.0)
    return model


def embed_both(sb, ours, x, mode):
    getattr(sb, mode)()
    getattr(ours, mode)()
    torch.manual_seed(1)
    with torch.no_grad():
        return sb(x.transpose(1, 2)).squeeze(1), ours(x)


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_converted_model_matches_speechbrain(mode):
    sb = randomised_speechbrain()
    ours = ecapa_from_speechbrain(sb)
    expected, actual = embed_both(sb, ours, torch.randn(4, 40, 50), mode)
    assert_close(actual, expected, f"embeddings in {mode} mode", atol=1e-4, rtol=1e-4)


def test_converted_model_matches_speechbrain_without_global_context():
    sb = randomised_speechbrain(global_context=False)
    ours = ecapa_from_speechbrain(sb)
    assert not ours.pooling.global_context
    expected, actual = embed_both(sb, ours, torch.randn(2, 40, 30), "eval")
    assert_close(actual, expected, "embeddings", atol=1e-4, rtol=1e-4)


def test_train_mode_updates_bn_buffers_like_speechbrain():
    sb = randomised_speechbrain()
    ours = ecapa_from_speechbrain(sb)
    embed_both(sb, ours, torch.randn(4, 40, 50), "train")
    converted = speechbrain_to_course(sb.state_dict())
    for name, buffer in ours.state_dict().items():
        assert_close(buffer, converted[name], name, atol=1e-5, rtol=1e-4)


def test_zero_padding_differs_from_speechbrain_reflect_padding():
    sb = randomised_speechbrain()
    ours = ecapa_from_speechbrain(sb, padding_mode="zeros")
    expected, actual = embed_both(sb, ours, torch.randn(2, 40, 30), "eval")
    assert (actual - expected).abs().max() > 1e-3


def test_speechbrain_checkpoint_file_loads(tmp_path):
    sb = randomised_speechbrain(seed=3)
    path = tmp_path / "embedding_model.ckpt"
    torch.save(sb.state_dict(), path)
    ours = load_speechbrain_checkpoint(path)
    expected, actual = embed_both(sb, ours, torch.randn(2, 40, 30), "eval")
    assert_close(actual, expected, "embeddings", atol=1e-4, rtol=1e-4)


def test_missing_checkpoint_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.ckpt"):
        load_speechbrain_checkpoint(tmp_path / "nowhere.ckpt")


def test_foreign_state_dict_is_rejected_with_its_keys():
    with pytest.raises(ValueError, match="not a SpeechBrain ECAPA_TDNN"):
        ecapa_from_speechbrain({"encoder.weight": torch.zeros(2, 2)})


def test_speechbrain_voxceleb_recipe_size_converts_with_inferred_sizes():
    sb = ECAPA(80, channels=[1024] * 4 + [3072], lin_neurons=192)  # spkrec-ecapa-voxceleb's sizes
    ours = ecapa_from_speechbrain(sb.state_dict())
    assert (ours.in_dim, ours.channels, ours.mfa_channels, ours.embed_dim) == (80, 1024, 3072, 192)
    assert sum(p.numel() for p in ours.parameters()) == 20_767_552
