"""The minimal trainer, on a tiny in-memory stand-in for the corpus (no audio)."""

import pytest
import torch

from course import train
from course.train import builders, cache
from tests.toys import ToyChunks, tiny_config, toy_collate


@pytest.fixture
def toy_corpus(monkeypatch, tmp_path):
    """Route the builders to the stand-in data and the caches to a temporary folder."""
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    monkeypatch.setattr(builders, "build_dataset", lambda config: ToyChunks())
    original = builders.batch_stream
    monkeypatch.setattr(builders, "batch_stream",
                        lambda dataset, config, collate_fn=None, start_step=0, **kw: original(
                            dataset, config, collate_fn or toy_collate, start_step, **kw))
    return tmp_path


@pytest.mark.slow
def test_fit_returns_the_model_the_head_and_one_loss_per_step(toy_corpus):
    result = train.fit(tiny_config(), progress=False)
    assert len(result.losses) == 6 and len(result.accuracies) == 6
    assert result.head.weight.shape == (3, 16)
    assert not result.model.training and not result.head.training
    assert result.model(torch.randn(2, 80, 20)).shape == (2, 16)


@pytest.mark.slow
def test_fit_lowers_the_training_loss(toy_corpus):
    losses = train.fit(tiny_config(steps=24, head="add_margin"), progress=False).losses
    assert sum(losses[-4:]) < sum(losses[:4])


@pytest.mark.slow
def test_fit_is_reproducible_for_a_seed(toy_corpus):
    a = train.fit(tiny_config(), progress=False)
    b = train.fit(tiny_config(), progress=False)
    assert a.losses == b.losses


@pytest.mark.slow
@pytest.mark.parametrize("head", ["softmax", "add_margin", "sphere"])
def test_fit_trains_with_every_head(toy_corpus, head):
    result = train.fit(tiny_config(head=head, steps=2), progress=False)
    assert all(torch.isfinite(torch.tensor(result.losses)))


def test_margin_schedule_sets_the_final_margin(toy_corpus):
    config = tiny_config(margin_schedule={"initial": 0.0, "final": 0.3, "start": 0, "stop": 4, "kind": "linear"})
    assert train.fit(config, progress=False).head.margin == pytest.approx(0.3)


def test_epoch_batches_are_a_permutation_fixed_by_seed_and_epoch():
    batches = builders.epoch_batches(10, 3, seed=1, epoch=2)
    assert len(batches) == 3 and all(len(b) == 3 for b in batches)
    assert len(set(sum(batches, []))) == 9
    assert builders.epoch_batches(10, 3, seed=1, epoch=2) == batches
    assert builders.epoch_batches(10, 3, seed=1, epoch=3) != batches


def test_a_checkpoint_of_another_config_is_refused(toy_corpus):
    path = toy_corpus / "run.pt"
    train.fit(tiny_config(steps=3), progress=False, checkpoint=path)
    with pytest.raises(ValueError, match="another config"):
        train.fit(tiny_config(steps=3, lr=1e-2), progress=False, checkpoint=path)


@pytest.mark.slow
def test_cached_fit_trains_once_and_then_loads_the_same_model(toy_corpus, monkeypatch):
    calls = []
    real_fit = cache.fit
    monkeypatch.setattr(cache, "fit",
                        lambda config, progress=True, **kw: calls.append(1) or real_fit(config, progress=False))
    first = train.cached_fit(tiny_config(), progress=False)
    second = train.cached_fit(tiny_config(), progress=False)
    assert len(calls) == 1 and second.from_cache and not first.from_cache
    assert second.losses == first.losses
    x = torch.randn(2, 80, 25)
    torch.testing.assert_close(second.model(x), first.model(x))
    assert cache.cache_path(tiny_config()).parent == toy_corpus / "cache" / "train"


def test_cache_key_changes_with_the_config_and_the_code(monkeypatch):
    base = cache.cache_key(tiny_config())
    assert cache.cache_key(tiny_config()) == base
    assert cache.cache_key(tiny_config(lr=1e-2)) != base
    monkeypatch.setattr(cache, "code_hash", lambda: "edited")
    assert cache.cache_key(tiny_config()) != base


def test_small_config_follows_smoke_mode(monkeypatch):
    monkeypatch.setenv("COURSE_SMOKE", "1")
    smoke = train.small_config(pooling="TSTP")
    monkeypatch.setenv("COURSE_SMOKE", "0")
    default = train.small_config(pooling="TSTP", lr=5e-3)
    assert smoke.pooling == default.pooling == "TSTP"
    assert smoke.steps < default.steps and smoke.model_kwargs["channels"] < default.model_kwargs["channels"]
    assert default.lr == 5e-3


def test_bad_configs_raise_clear_errors():
    with pytest.raises(ValueError, match="steps"):
        train.TrainConfig(steps=0)
    with pytest.raises(ValueError, match="unknown name 'resnet'"):
        builders.build_model(train.TrainConfig(model="resnet"))
    with pytest.raises(ValueError, match="unknown field"):
        train.TrainConfig.from_dict({"stepz": 3})


def test_amp_is_ignored_off_cuda(toy_corpus):
    from course.train.loop import amp_dtype

    assert amp_dtype(tiny_config(amp=True), torch.device("cpu")) is None  # no autocast on the CPU
    with_amp = train.fit(tiny_config(amp=True, steps=2), progress=False)
    without = train.fit(tiny_config(amp=False, steps=2), progress=False)
    assert with_amp.losses == without.losses  # bf16 autocast on the CPU would change them


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_asking_for_cuda_without_it_is_a_clear_error(toy_corpus):
    with pytest.raises(ValueError, match="CUDA is not available"):
        train.fit(tiny_config(device="cuda"), progress=False)


def test_threads_apply_during_the_run_and_are_restored(toy_corpus, monkeypatch):
    seen = []
    real_step = torch.optim.Adam.step
    monkeypatch.setattr(torch.optim.Adam, "step", lambda self, *a, **k: seen.append(torch.get_num_threads())
                        or real_step(self, *a, **k))
    before = torch.get_num_threads()
    train.fit(tiny_config(threads=1, steps=2), progress=False)
    assert seen == [1, 1] and torch.get_num_threads() == before


def test_config_round_trips_through_a_dict():
    config = tiny_config(pooling_kwargs={"bottleneck": 8})
    assert train.TrainConfig.from_dict(config.to_dict()) == config


@pytest.mark.slow
def test_small_config_trains_on_the_smoke_corpus(monkeypatch, tmp_path):
    from course.data import default_corpus

    monkeypatch.setenv("COURSE_SMOKE", "1")
    config = train.small_config(pooling="ASTP", corpus=str(default_corpus(progress=False)))
    monkeypatch.setattr(cache, "cache_dir", lambda *parts: tmp_path)
    first = train.cached_fit(config, progress=False)
    again = train.cached_fit(config, progress=False)
    assert len(first.losses) == config.steps and again.from_cache
    feats = torch.randn(2, 80, 120)
    emb, weights = first.model.pooling(first.model.frame_features(feats)[0], return_weights=True)
    assert emb.shape[0] == 2 and torch.allclose(weights.sum(-1), torch.ones(()))


def test_code_key_ignores_comments_and_docstrings_but_not_code():
    from course.train.cache import code_text

    source = 'def f(x):\n    """Twice x."""\n    return 2 * x  # doubled\n'
    reworded = 'def f(x):\n    """Doubles its argument."""\n    # a new comment\n    return 2 * x\n'
    edited = 'def f(x):\n    """Twice x."""\n    return 3 * x\n'
    assert code_text(source) == code_text(reworded)
    assert code_text(source) != code_text(edited)


def test_the_cache_key_covers_exactly_the_modules_training_imports():
    names = {str(f.relative_to(cache.PACKAGE)) for f in cache.training_modules()}
    assert {"masks.py", "scoring.py", "metrics.py", "evaluate.py", "pooling/statistics.py", "train/loop.py",
            "data/augment.py", "models/ecapa.py"} <= names
    assert not any(n.startswith(("widgets/", "viz/", "experiments/")) for n in names)
    assert "data/council.py" not in names and "verify.py" not in names  # never imported by training


def test_the_cache_key_follows_a_code_change_but_not_a_docstring(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('"""doc"""\nx = 1\n')
    first = cache.code_text(module.read_text())
    module.write_text('"""another doc"""\nx = 1  # a comment\n')
    assert cache.code_text(module.read_text()) == first
    module.write_text('"""doc"""\nx = 2\n')
    assert cache.code_text(module.read_text()) != first
