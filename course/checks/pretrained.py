"""Self-checks for notebook 12 (a real model on real speech): SpeechBrain's dB scale, cross-meeting
target trials, and the share of attention a model gives to a class of frames."""

from __future__ import annotations

import itertools

import numpy as np
import torch

from course.checks import check_function, exercise, is_stub
from course.features import power_to_db


@exercise(power_to_db)
def check_power_to_db(fn) -> bool:
    """``fn(power (T, M), top_db) -> (T, M)`` dB values clamped ``top_db`` below the maximum."""
    g = torch.Generator().manual_seed(0)
    power = torch.rand(30, 8, generator=g) ** 8 * 100
    power[3, 2] = 0.0  # a zero: the 1e-10 floor
    cases = [(power, 80.0), (power, 20.0), (power * 1e-6, 80.0)]
    if is_stub(fn, cases[0], "power_to_db"):
        return False
    return check_function(fn, lambda p, top: power_to_db(p, top), cases, name="power_to_db", atol=1e-4)


def reference_cross_meeting_targets(clips: list[str]) -> set[tuple[str, str]]:
    """Pairs (a, b), a < b, of clips ``speaker/meeting/name`` of one speaker in two different meetings."""
    return {(a, b) for a, b in itertools.combinations(sorted(clips), 2)
            if a.split("/")[0] == b.split("/")[0] and a.split("/")[1] != b.split("/")[1]}


@exercise(reference_cross_meeting_targets)
def check_cross_meeting_targets(fn) -> bool:
    """``fn(clips) -> set of (a, b)`` with a < b: same speaker, different meetings."""
    clips = [f"{s}/{m}/{k}.wav" for s, m, k in itertools.product(["ann", "bob", "cy"], ["m1", "m2", "m3"], [0, 1])]
    clips = [c for c in clips if not c.startswith("cy/m2")] + ["dee/m1/0.wav"]
    if is_stub(fn, (clips,), "cross_meeting_targets"):
        return False
    try:
        got = {tuple(pair) for pair in fn(clips)}
    except Exception as error:  # noqa: BLE001 - the learner's code may raise anything
        print(f"✗ cross_meeting_targets raised {type(error).__name__}: {error}")
        return False
    want = reference_cross_meeting_targets(clips)
    if got != want:
        extra, missing = sorted(got - want), sorted(want - got)
        print(f"✗ cross_meeting_targets: {len(got)} pairs, expected {len(want)}"
              + (f"; not targets (or not sorted a < b): {extra[:2]}" if extra else "")
              + (f"; missing: {missing[:2]}" if missing else ""))
        return False
    print(f"✓ cross_meeting_targets finds the {len(want)} target pairs")
    return True


def reference_relative_weight(weights: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Attention mass on the masked frames, averaged over the rows of ``weights`` (rows, T), divided by
    the fraction of frames masked: 1 when the weights are uniform, below 1 when they avoid those frames."""
    mask = mask.to(weights.dtype)
    return (weights * mask).sum(-1).mean() / mask.mean()


@exercise(reference_relative_weight)
def check_relative_weight(fn) -> bool:
    """``fn(weights (rows, T), mask (T,) bool) -> scalar`` (see ``reference_relative_weight``)."""
    g = torch.Generator().manual_seed(1)
    weights = torch.softmax(torch.randn(6, 40, generator=g) * 2, dim=-1)
    mask = torch.from_numpy(np.random.default_rng(0).random(40) < 0.3)
    cases = [(weights, mask), (torch.full((3, 40), 1 / 40), mask), (weights[:1], ~mask)]
    if is_stub(fn, cases[0], "relative_weight"):
        return False
    return check_function(lambda w, m: torch.as_tensor(fn(w, m), dtype=torch.float32), reference_relative_weight,
                          cases, name="relative_weight", atol=1e-5)


def loudest_mask(energy_db: torch.Tensor, share: float = 0.1) -> torch.Tensor:
    """The loudest ``share`` of frames: energy at or above its (1 − share) quantile."""
    return energy_db >= energy_db.quantile(1 - share)


def reference_loudest_frames(weights: torch.Tensor, energy_db: torch.Tensor) -> torch.Tensor:
    return reference_relative_weight(weights, loudest_mask(energy_db))


LOUDEST_MISTAKES = {
    "the quietest 10% (quantile 0.1 instead of 0.9)": lambda w, e: reference_relative_weight(w, e <= e.quantile(0.1)),
    "the mass on the loudest frames, not divided by their share of frames":
        lambda w, e: (w * loudest_mask(e).to(w.dtype)).sum(-1).mean(),
}


@exercise(reference_loudest_frames, LOUDEST_MISTAKES)
def check_loudest_frames(fn) -> bool:
    """``fn(weights (rows, T), energy_db (T,)) -> scalar``: the relative weight of the loudest 10% of frames."""
    g = torch.Generator().manual_seed(2)
    energy = torch.randn(50, generator=g) * 10 - 30
    weights = torch.softmax(torch.randn(4, 50, generator=g) + 0.1 * energy, dim=-1)  # loud frames favoured
    cases = [(weights, energy), (torch.full((2, 50), 1 / 50), energy)]
    if is_stub(fn, cases[0], "loudest_frames"):
        return False
    return check_function(lambda w, e: torch.as_tensor(fn(w, e), dtype=torch.float32), reference_loudest_frames,
                          cases, name="loudest_frames", atol=1e-5, mistakes=LOUDEST_MISTAKES)
