"""Hooks: how a caller watches or stops ``fit`` without touching its step loop.

``fit(config, hooks=Hooks(...))`` calls, in the process that logs (rank 0 under torchrun):

- ``on_validate(state, validation)`` after each validation (``validation``: the new history
  entry: step, eer, min_dcf, threshold, seconds...);
- ``on_step(state)`` every ``every`` steps and at the last step (after that step's validation);
- ``should_stop(state) -> bool`` after every step but the last; True ends the run there, after writing a
  checkpoint (when ``fit`` has a path) from which ``fit`` resumes bit-identically, as from any other.

``state``: {"step", "steps", "loss", "losses", "accuracies", "history"}, the run so far (read it,
do not change it). Example, a run stopped after 3 steps::

    fit(config, checkpoint="run.pt", hooks=Hooks(should_stop=lambda state: state["step"] == 3))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Hooks:
    """What ``fit`` calls as it trains; each hook is optional."""

    on_step: Callable[[dict], None] | None = None
    on_validate: Callable[[dict, dict], None] | None = None
    should_stop: Callable[[dict], bool] | None = None
    every: int = 10  # steps between on_step calls

    def __post_init__(self):
        if isinstance(self.every, bool) or not isinstance(self.every, int) or self.every < 1:
            raise ValueError(f"every: expected a whole number of steps ≥ 1, got {self.every!r}")


def from_callback(callback: Callable[[dict], None]) -> Hooks:
    """The hooks of ``fit(callback=f)``: ``f(state)`` after every validation and every 10 steps, once a step
    (a validation step that is also a tenth step calls it once, as live plots and reports expect)."""
    called_at = [None]

    def once(state: dict, validation: dict | None = None) -> None:
        if state["step"] != called_at[0]:
            called_at[0] = state["step"]
            callback(state)

    return Hooks(on_step=once, on_validate=once)
