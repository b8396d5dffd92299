"""Hooks (``course.train.hooks``): called at their intervals; ``should_stop`` ends a run resumably."""

import pytest
import torch

from course import train
from course.train.hooks import Hooks, from_callback
from tests.synthvox_tiny import tiny_corpus
from tests.toys import ToyChunks, tiny_config, toy_collate


def run(config, **kwargs):
    return train.fit(config, progress=False, dataset=ToyChunks(), collate_fn=toy_collate, **kwargs)


def test_should_stop_stops_at_its_step_with_a_checkpoint_that_resumes_exactly(tmp_path):
    config = tiny_config(steps=5, checkpoint_every=100)  # no checkpoint is due before the end: the stop writes one
    uninterrupted = run(config)
    path, logs = tmp_path / "run.pt", tmp_path / "logs"
    stopped = run(config, checkpoint=path, log_dir=logs, hooks=Hooks(should_stop=lambda state: state["step"] == 2))
    assert stopped.losses == uninterrupted.losses[:2]
    assert torch.load(path, weights_only=False)["state"]["step"] == 2
    assert len((logs / "log.csv").read_text().splitlines()) == 1 + 2  # the logs are written at the stop too
    resumed = run(config, checkpoint=path)
    assert resumed.losses == uninterrupted.losses
    a, b = uninterrupted.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_on_step_and_on_validate_are_called_at_their_intervals(tmp_path):
    corpus = tiny_corpus(tmp_path)
    config = tiny_config(steps=7, val_every=3, chunk_frames=40, corpus=str(corpus))
    steps, validations = [], []
    hooks = Hooks(on_step=lambda state: steps.append(state["step"]),
                  on_validate=lambda state, validation: validations.append((state["step"], validation["step"],
                                                                           len(state["history"]))),
                  every=2)
    result = train.fit(config, progress=False, hooks=hooks)
    assert steps == [2, 4, 6, 7]  # every 2 steps and the last
    assert validations == [(3, 3, 1), (6, 6, 2), (7, 7, 3)]  # every 3 steps and the last, history already updated
    assert [h["step"] for h in result.history] == [3, 6, 7]


def test_on_step_sees_the_run_so_far():
    seen = []
    run(tiny_config(steps=4), hooks=Hooks(on_step=lambda state: seen.append(dict(state)), every=1))
    assert [s["step"] for s in seen] == [1, 2, 3, 4] and all(s["steps"] == 4 for s in seen)
    assert seen[-1]["loss"] == seen[-1]["losses"][-1] and len(seen[-1]["accuracies"]) == 4


def test_a_callback_is_called_once_a_step_even_at_a_validation():
    calls = []
    hooks = from_callback(lambda state: calls.append(state["step"]))
    hooks.on_validate({"step": 10}, {"step": 10, "eer": 0.1})
    hooks.on_step({"step": 10})  # the 10th step is also a validation step: called once
    hooks.on_step({"step": 20})
    assert calls == [10, 20] and hooks.every == 10


def test_bad_hook_settings_are_refused():
    with pytest.raises(ValueError, match="every: expected a whole number"):
        Hooks(every=0)
    with pytest.raises(ValueError, match="callback or hooks, not both"):
        run(tiny_config(steps=1), callback=print, hooks=Hooks())
    with pytest.raises(ValueError, match="log_every"):
        run(tiny_config(steps=1), log_every=0)
