"""Self-checks for notebook 13 (from a score to a decision): Cllr by hand, the Bayes threshold, PAV."""

from __future__ import annotations

import math

import numpy as np
import torch

from course import calibration
from course.checks import check_function, exercise, is_stub


def _cases() -> list[tuple]:
    rng = np.random.default_rng(0)
    labels = np.r_[np.ones(30, int), np.zeros(50, int)]
    llrs = np.r_[rng.normal(1.5, 1.5, 30), rng.normal(-1.5, 1.5, 50)]
    return [(llrs, labels), (np.zeros(80), labels), (3 * llrs, labels)]


def _tensor(fn):
    return lambda *args: torch.as_tensor(np.asarray(fn(*args), dtype=np.float64))


CLLR_MISTAKES = {
    "natural logarithms: Cllr is in bits (divide by ln 2)":
        lambda llr, y: calibration.cllr(llr, y) * math.log(2),
    "one mean over all trials instead of the average of the two class means":
        lambda llr, y: np.mean(np.where(y == 1, np.log2(1 + np.exp(-llr)), np.log2(1 + np.exp(llr)))),
    "the signs swapped: targets should pay log₂(1 + e^(−LLR)), non-targets log₂(1 + e^(LLR))":
        lambda llr, y: calibration.cllr(-llr, y),
}


@exercise(calibration.cllr, CLLR_MISTAKES)
def check_cllr(fn) -> bool:
    """``fn(llrs, labels) -> float``: Cllr in bits."""
    cases = _cases()
    if is_stub(fn, cases[0], "cllr"):
        return False
    return check_function(_tensor(fn), _tensor(calibration.cllr), cases, name="cllr", atol=1e-6,
                          mistakes={k: _tensor(v) for k, v in CLLR_MISTAKES.items()})


BAYES_THRESHOLD_MISTAKES = {
    "logit(P_target) without the minus sign: rare targets need a *higher* threshold":
        lambda p, cm, cf: math.log(p / (1 - p)) + math.log(cf / cm),
    "the cost ratio upside down: log(C_fa / C_miss), not log(C_miss / C_fa)":
        lambda p, cm, cf: -math.log(p / (1 - p)) + math.log(cm / cf),
    "the costs left out":
        lambda p, cm, cf: -math.log(p / (1 - p)),
}


@exercise(calibration.bayes_threshold, BAYES_THRESHOLD_MISTAKES)
def check_bayes_threshold(fn) -> bool:
    """``fn(p_target, c_miss, c_fa) -> float``: the LLR threshold of minimum expected cost."""
    cases = [(0.01, 1.0, 1.0), (0.05, 1.0, 1.0), (0.01, 10.0, 1.0), (0.3, 1.0, 5.0)]
    if is_stub(fn, cases[0], "bayes_threshold"):
        return False
    return check_function(_tensor(fn), _tensor(calibration.bayes_threshold), cases, name="bayes_threshold",
                          atol=1e-9, mistakes={k: _tensor(v) for k, v in BAYES_THRESHOLD_MISTAKES.items()})


PAV_MISTAKES = {
    "the labels returned in score order without pooling violators":
        lambda s, y: y.astype(float),
    "ties not pooled: equal scores must get one value":
        lambda s, y: _pav_without_ties(s, y),
}


@exercise(calibration.pav, PAV_MISTAKES)
def check_pav(fn) -> bool:
    """``fn(scores, labels) -> (N,)``: the non-decreasing least-squares fit of the labels in score order."""
    rng = np.random.default_rng(1)
    labels = np.r_[np.ones(20, int), np.zeros(30, int)]
    scores = np.r_[rng.normal(1, 1, 20), rng.normal(0, 1, 30)]
    ties = (np.array([0.0, 1.0, 1.0, 2.0, 3.0, 3.0]), np.array([0, 0, 1, 1, 0, 1]))  # equal scores, labels 0 then 1
    cases = [(scores, labels), (np.round(scores, 0), labels), ties]
    if is_stub(fn, cases[0], "pav"):
        return False
    return check_function(_tensor(fn), _tensor(calibration.pav), cases, name="pav", atol=1e-9,
                          mistakes={k: _tensor(v) for k, v in PAV_MISTAKES.items()})


def _pav_without_ties(scores, labels) -> np.ndarray:
    """PAV that treats tied scores as distinct points (the tie mistake), by breaking ties by index."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(len(scores))
    return calibration.pav(ranks, labels)
