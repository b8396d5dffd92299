"""Distillation: the loss, the teacher cache, the dataset targets, exact resume, and the default unchanged."""

import pytest
import torch

from course import train
from course.train import distill
from tests.synthvox_tiny import tiny_corpus
from tests.toys import stop_at_first_checkpoint, tiny_config


def test_the_distillation_loss_is_zero_for_targets_along_the_projection_and_two_against_them():
    x = torch.randn(4, 8)
    has = torch.tensor([True, True, True, False])
    assert distill.distill_loss(x, 3 * x, has).item() == pytest.approx(0.0, abs=1e-6)
    assert distill.distill_loss(x, -x, has).item() == pytest.approx(2.0, abs=1e-6)


def test_items_without_a_target_do_not_count():
    x, t = torch.randn(3, 5), torch.randn(3, 5)
    only_first = distill.distill_loss(x, t, torch.tensor([True, False, False]))
    assert only_first.item() == pytest.approx(1 - torch.cosine_similarity(x[0], t[0], dim=0).item(), abs=1e-6)
    zero = distill.distill_loss(x.requires_grad_(), t, torch.tensor([False, False, False]))
    assert zero.item() == 0.0 and zero.requires_grad


def test_unknown_distill_keys_and_teachers_fail_when_the_config_is_made():
    with pytest.raises(ValueError, match="unknown key"):
        train.TrainConfig(distill={"wieght": 1.0})
    with pytest.raises(ValueError, match="teacher"):
        train.TrainConfig(distill={"teacher": "whisper"})


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "data"))
    return tiny_corpus(tmp_path)


def test_teacher_embeddings_are_computed_once_then_loaded_from_the_cache(corpus, monkeypatch):
    first = distill.teacher_embeddings(corpus, teacher="stand_in", per_speaker=2)
    assert not first["from_cache"] and first["files"] == 2 * 4 and first["cpu_seconds"] > 0
    monkeypatch.setattr(distill, "load_teacher", lambda name: pytest.fail("the teacher ran again"))
    second = distill.teacher_embeddings(corpus, teacher="stand_in", per_speaker=2)
    assert second["from_cache"] and second["embeddings"].keys() == first["embeddings"].keys()
    assert all(torch.equal(second["embeddings"][k], first["embeddings"][k]) for k in first["embeddings"])
    assert all(e.shape == (192,) for e in first["embeddings"].values())


def test_speed_copies_and_left_out_utterances_get_no_target(corpus):
    from course.data.wave_crops import WaveCrops

    crops = WaveCrops(corpus, chunk_frames=50, augment={"noise_prob": 0.0, "reverb_prob": 0.0, "speeds": (1.1,)})
    teacher = distill.teacher_embeddings(corpus, teacher="stand_in", per_speaker=2)
    data = distill.WithTargets(crops, corpus, teacher["embeddings"])
    n = len(crops.paths)
    flags = [data[i][3] for i in range(2 * n)]
    assert sum(flags[:n]) == 2 * 4 and not any(flags[n:])


def distill_config(corpus, **overrides):
    values = dict(corpus=str(corpus), chunk_frames=40, steps=6, checkpoint_every=3,
                  distill={"weight": 1.0, "teacher": "stand_in", "per_speaker": 2})
    return tiny_config(**{**values, **overrides})


@pytest.mark.slow
def test_a_distilled_run_resumes_bit_identically(corpus, tmp_path):
    config = distill_config(corpus)
    uninterrupted = train.fit(config, progress=False)
    path = tmp_path / "run.pt"
    train.fit(config, progress=False, checkpoint=path, hooks=stop_at_first_checkpoint(config))
    assert "projection" in torch.load(path, weights_only=False)
    resumed = train.fit(config, progress=False, checkpoint=path)
    assert resumed.losses == uninterrupted.losses
    a, b = uninterrupted.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_the_distillation_term_changes_the_loss_and_weight_zero_does_not(corpus):
    plain = train.fit(tiny_config(corpus=str(corpus), chunk_frames=40, steps=3), progress=False)
    zero = train.fit(distill_config(corpus, steps=3, distill={"weight": 0.0, "teacher": "stand_in"}), progress=False)
    one = train.fit(distill_config(corpus, steps=3), progress=False)
    assert zero.losses[0] == pytest.approx(plain.losses[0], rel=1e-6)
    assert one.losses[0] > plain.losses[0]


def test_centred_targets_have_the_training_mean_removed_and_keep_their_differences(corpus):
    from course.data.wave_crops import WaveCrops

    crops = WaveCrops(corpus, chunk_frames=50, augment={"noise_prob": 0.0, "reverb_prob": 0.0})
    teacher = distill.teacher_embeddings(corpus, teacher="stand_in", per_speaker=2)
    raw = distill.WithTargets(crops, corpus, teacher["embeddings"])
    centred = distill.WithTargets(crops, corpus, teacher["embeddings"], center=True)
    pairs = [(r, c) for r, c in zip(raw.targets, centred.targets) if r is not None]
    assert len(pairs) == 2 * 4 and all(c is None for r, c in zip(raw.targets, centred.targets) if r is None)
    raw_t, centred_t = torch.stack([r for r, _ in pairs]), torch.stack([c for _, c in pairs])
    assert torch.allclose(centred_t.mean(0), torch.zeros(raw.dim), atol=1e-5)
    assert torch.allclose(centred_t[1:] - centred_t[0], raw_t[1:] - raw_t[0], atol=1e-5)
    assert not torch.allclose(centred_t, raw_t)


def test_the_centre_switch_reaches_the_training_dataset(corpus):
    from course.train import builders

    config = distill_config(corpus, distill={"weight": 1.0, "teacher": "stand_in", "per_speaker": 2,
                                             "center": True})
    base = builders.distill_dataset(distill_config(corpus), builders.build_dataset(config))
    centred = builders.distill_dataset(config, builders.build_dataset(config))
    got = torch.stack([t for t in centred.targets if t is not None])
    assert torch.allclose(got.mean(0), torch.zeros(centred.dim), atol=1e-5)
    assert not torch.allclose(got, torch.stack([t for t in base.targets if t is not None]))
