"""Checkpoints: exact resume, clear errors for missing or corrupt files, NaN stops, logs."""

import json

import pytest
import torch

from course import train
from course.train import loop
from course.train.export import load_model, save_model
from tests.toys import ToyChunks, stop_at_first_checkpoint, tiny_config, toy_collate


def run(config, **kwargs):
    return train.fit(config, progress=False, dataset=ToyChunks(), collate_fn=toy_collate, **kwargs)


def weights(result):
    return {**{f"model.{k}": v for k, v in result.model.state_dict().items()},
            **{f"head.{k}": v for k, v in result.head.state_dict().items()}}


@pytest.mark.slow
@pytest.mark.parametrize("stop_after", [3, 4])  # at and off an epoch boundary (3 batches an epoch)
def test_an_interrupted_and_resumed_run_ends_with_bit_identical_weights(tmp_path, stop_after):
    config = tiny_config(steps=9, checkpoint_every=stop_after, margin_schedule={"initial": 0.0, "final": 0.2,
                                                                              "start": 0, "stop": 5, "kind": "linear"},
                         warmup_steps=2)
    uninterrupted = run(config)
    path = tmp_path / "run.pt"
    stopped = run(config, checkpoint=path, hooks=stop_at_first_checkpoint(config))
    assert stopped.losses == uninterrupted.losses[:stop_after]
    assert torch.load(path, weights_only=False)["state"]["step"] == stop_after
    resumed = run(config, checkpoint=path)
    a, b = weights(uninterrupted), weights(resumed)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])]
    assert resumed.losses == uninterrupted.losses


def test_no_temporary_file_is_left_behind(tmp_path):
    run(tiny_config(steps=4, checkpoint_every=2), checkpoint=tmp_path / "run.pt")
    assert [p.name for p in tmp_path.iterdir()] == ["run.pt"]


def test_a_corrupt_checkpoint_is_a_clear_error(tmp_path):
    path = tmp_path / "run.pt"
    path.write_bytes(b"\x00garbage")
    with pytest.raises(loop.CheckpointError, match="unreadable or corrupt"):
        run(tiny_config(steps=2), checkpoint=path)


def test_a_missing_checkpoint_is_a_clear_error_where_one_is_required(tmp_path):
    with pytest.raises(loop.CheckpointError, match="not found"):
        load_model(tmp_path / "nothing.pt")


def a_later_version(path):
    from course.train import integrity

    payload = torch.load(path.with_name("good.pt"), weights_only=False)
    torch.save(integrity.seal({**payload, "format": "course.train/99"}), path)  # sound, but not for this course


@pytest.mark.parametrize("make, message", [
    (lambda path: None, "checkpoint not found"),
    (lambda path: path.mkdir(), "is a folder; pass a file"),
    (lambda path: path.write_bytes(b"\x00garbage"), "is unreadable or corrupt"),
    (lambda path: path.write_bytes(path.with_name("good.pt").read_bytes()[:500]), "is unreadable or corrupt"),
    (lambda path: torch.save({"weights": torch.zeros(3)}, path), "is not a course checkpoint or model file"),
    (lambda path: torch.save(torch.zeros(3), path), "is not a course checkpoint or model file"),
    (a_later_version, "has format 'course.train/99', which this version of the course does not read"),
], ids=["missing", "folder", "garbage", "truncated", "other-torch-dict", "a-tensor", "other-version"])
def test_the_one_reader_names_the_file_and_what_is_wrong(tmp_path, make, message):
    from course.train.checkpoints import read_checkpoint

    run(tiny_config(steps=1), checkpoint=tmp_path / "good.pt")
    path = tmp_path / "bad.pt"
    make(path)
    with pytest.raises(loop.CheckpointError, match=message) as error:
        read_checkpoint(path)
    assert str(path) in str(error.value)
    with pytest.raises(loop.CheckpointError, match=message):  # every reader goes through it
        load_model(path)


def test_a_model_file_is_not_resumed_from_and_a_checkpoint_is_not_a_cached_result(tmp_path):
    from course.train.cache import load_result

    config = tiny_config(steps=1)
    result = run(config, checkpoint=tmp_path / "run.pt")
    save_model(tmp_path / "model.pt", result)
    with pytest.raises(loop.CheckpointError, match=r"model.pt is a model file \(course.model/1\), not a training"):
        run(config, checkpoint=tmp_path / "model.pt")
    with pytest.raises(loop.CheckpointError, match=r"run.pt is a training checkpoint .*, not a model file"):
        load_result(tmp_path / "run.pt", config)


def test_a_corrupt_cache_file_is_retrained_not_fatal(tmp_path, monkeypatch, capsys):
    from course.train import cache

    config = tiny_config(steps=1, corpus=str(tmp_path))  # the data come from ToyChunks (``run``)
    path = tmp_path / "cached.pt"
    path.write_bytes(b"torn")
    monkeypatch.setattr(cache, "cache_path", lambda config: path)
    monkeypatch.setattr(cache, "fit", lambda config, **kwargs: run(config))
    monkeypatch.setattr(cache, "test_evaluation", lambda model, root: None)
    result = cache.cached_fit(config, progress=False)
    assert not result.from_cache
    assert f"cached model unreadable, retraining: checkpoint {path} is unreadable" in capsys.readouterr().out
    assert cache.cached_fit(config, progress=False).from_cache  # the retrained result replaced the torn file


class PoisonedChunks(ToyChunks):
    """ToyChunks whose items turn to NaN after ``clean`` reads (from a given step on)."""

    def __init__(self, clean):
        super().__init__()
        self.clean, self.reads = clean, 0

    def __getitem__(self, index):
        self.reads += 1
        feats, label = super().__getitem__(index)
        return (feats * float("nan"), label) if self.reads > self.clean else (feats, label)


@pytest.mark.slow
def test_a_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path):
    path = tmp_path / "run.pt"
    config = tiny_config(steps=9, checkpoint_every=2)  # batch 4: step 6 reads items 21-24
    with pytest.raises(loop.TrainingDiverged, match=r"nan at step 6.*last good checkpoint .* \(step 4\)"):
        train.fit(config, progress=False, dataset=PoisonedChunks(clean=5 * 4), collate_fn=toy_collate, checkpoint=path)
    state = torch.load(path, weights_only=False)
    assert state["state"]["step"] == 4
    assert all(torch.isfinite(v).all() for v in state["model"].values() if v.is_floating_point())


def test_logs_are_written_with_one_row_a_step(tmp_path):
    run(tiny_config(steps=5), log_dir=tmp_path)
    rows = (tmp_path / "log.csv").read_text().splitlines()
    assert rows[0] == "step,loss,accuracy,lr" and len(rows) == 6
    assert json.loads((tmp_path / "config.json").read_text())["steps"] == 5


def test_schedules_warm_up_then_decay_to_the_final_fraction():
    from course.train.builders import lr_factor

    for schedule in ("cosine", "exponential"):
        config = tiny_config(steps=100, warmup_steps=10, schedule=schedule, final_lr=0.01)
        assert lr_factor(0, config) == pytest.approx(0.1) and lr_factor(9, config) == pytest.approx(1.0)
        assert lr_factor(10, config) == pytest.approx(1.0) and lr_factor(100, config) == pytest.approx(0.01)
        assert lr_factor(55, config) < lr_factor(30, config)


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_every_optimiser_lowers_the_loss(optimizer):
    lr = 0.05 if optimizer == "sgd" else 3e-3
    losses = run(tiny_config(steps=24, head="add_margin", optimizer=optimizer, lr=lr)).losses
    assert sum(losses[-4:]) < sum(losses[:4])


def test_amp_settings_pick_no_autocast_on_the_cpu():
    for amp in (False, True, "fp16", "bf16"):
        assert loop.amp_dtype(tiny_config(amp=amp), torch.device("cpu")) is None
    assert loop.amp_dtype(tiny_config(amp="bf16"), torch.device("cuda")) == torch.bfloat16
    assert loop.amp_dtype(tiny_config(amp=True), torch.device("cuda")) == torch.float16
    with pytest.raises(ValueError, match="amp"):
        tiny_config(amp="fp8")


def test_a_saved_model_loads_back_with_its_threshold(tmp_path):
    result = run(tiny_config(steps=2))
    result.threshold, result.score_mean = 0.3, torch.zeros(16)
    save_model(tmp_path / "model.pt", result)
    model, info = load_model(tmp_path / "model.pt")
    assert info["threshold"] == 0.3 and info["config"] == result.config
    x = torch.randn(2, 80, 30)
    torch.testing.assert_close(model(x), result.model(x))


@pytest.mark.slow
def test_resume_is_exact_with_augmented_waveform_crops_in_a_worker(tmp_path):
    from tests.synthvox_tiny import tiny_corpus

    corpus = tiny_corpus(tmp_path)
    config = tiny_config(steps=6, checkpoint_every=3, batch_size=4, chunk_frames=40, data="waves", augment={},
                         num_workers=1, corpus=str(corpus))
    uninterrupted = train.fit(config, progress=False)
    path = tmp_path / "run.pt"
    train.fit(config, progress=False, checkpoint=path, hooks=stop_at_first_checkpoint(config))
    resumed = train.fit(config, progress=False, checkpoint=path)
    a, b = weights(uninterrupted), weights(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_an_aca_net_file_from_before_it_dropped_its_pooling_still_loads(tmp_path):
    """ACA-Net files once stored pooling="ASTP" (never used: its attention is its pooling)."""
    from course.models.aca_net import ACANet
    from course.train import builders
    from course.train.checkpoints import MODEL_FORMAT, write_payload
    from course.train.config import small_config
    from course.train.export import load_model

    config = small_config(pooling=None, model="aca_net", model_kwargs=ACANet.examples()[0])
    model = builders.build_model(config)
    old = {**config.to_dict(), "pooling": "ASTP"}
    write_payload(tmp_path / "old.pt", {"format": MODEL_FORMAT, "config": old, "model": model.state_dict()})
    loaded, info = load_model(tmp_path / "old.pt")
    assert info["config"].pooling is None
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), model.state_dict().values()))
