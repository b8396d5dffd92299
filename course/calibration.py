"""From a score to a decision: calibration to log-likelihood ratios, Cllr, actual DCF, the Bayes threshold.

A cosine score orders trials but says nothing by itself about how likely a target is. A
**calibration** maps scores to log-likelihood ratios, LLR = log p(s | target) / p(s | non-target),
here linearly, ``llr = a·s + b``, fitted on a *development* trial list by prior-weighted logistic
regression (Brümmer & du Preez, "Application-independent evaluation of speaker detection",
Computer Speech and Language 2006; the BOSARIS toolkit's recipe): minimise

    C(a, b) = P/N_tar · Σ_tar log(1 + e^{−(a s + b + logit P)}) + (1−P)/N_non · Σ_non log(1 + e^{a s + b + logit P}),

so that targets and non-targets weigh P and 1 − P whatever their counts. With LLRs, the
decision that minimises the expected cost at a prior P_target and costs C_miss, C_fa is to accept
when LLR ≥ the **Bayes threshold** log(C_fa (1 − P_target) / (C_miss P_target)) = −logit(P_target) +
log(C_fa / C_miss): the threshold moves with the operating point, which a raw cosine cannot do.

**Cllr** = ½ [mean_tar log₂(1 + e^{−LLR}) + mean_non log₂(1 + e^{LLR})] measures the LLRs
themselves (0 is perfect, 1 is a system that always says LLR = 0). **minCllr** is the Cllr after
the best monotone recalibration, the pool-adjacent-violators (PAV) isotonic fit: what is left is
discrimination; Cllr − minCllr is the calibration loss. The **actual DCF** is the detection cost
at the threshold a system actually applies, next to minDCF at the best threshold in hindsight.
"""

from __future__ import annotations

import math

import numpy as np

from course.metrics import _as_arrays


def _checked(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    """Scores (float64) and boolean labels, with clear errors for NaN, one class or mismatched lengths."""
    return _as_arrays(scores, labels)


def logit(p: float) -> float:
    if not 0 < p < 1:
        raise ValueError(f"p_target must be in (0, 1), got {p}")
    return math.log(p / (1 - p))


def bayes_threshold(p_target: float, c_miss: float = 1.0, c_fa: float = 1.0) -> float:
    """The LLR threshold of the minimum expected cost: −logit(P_target) + log(C_fa / C_miss)."""
    if c_miss <= 0 or c_fa <= 0:
        raise ValueError(f"costs must be positive, got c_miss={c_miss}, c_fa={c_fa}")
    return -logit(p_target) + math.log(c_fa / c_miss)


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)  # log(1 + e^x) without overflow


def fit_linear(scores, labels, p_target: float = 0.5, iterations: int = 50) -> tuple[float, float]:
    """(a, b) of the calibration ``llr = a·s + b`` minimising the prior-weighted logistic loss at
    ``p_target`` (Newton's method on two parameters; the loss is convex)."""
    s, y = _checked(scores, labels)
    offset = logit(p_target)
    weight = np.where(y, p_target / y.sum(), (1 - p_target) / (~y).sum())
    t = y.astype(np.float64)
    x = np.stack([s, np.ones_like(s)], axis=1)
    theta = np.zeros(2)
    for _ in range(iterations):
        z = x @ theta + offset
        p = 1 / (1 + np.exp(-z))
        gradient = x.T @ (weight * (p - t))
        hessian = (x * (weight * p * (1 - p))[:, None]).T @ x + 1e-12 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-12:
            break
    return float(theta[0]), float(theta[1])


class LinearCalibration:
    """``llr = a·s + b``, fitted on development trials: ``LinearCalibration.fit(scores, labels)``."""

    def __init__(self, a: float, b: float, p_target: float = 0.5):
        self.a, self.b, self.p_target = float(a), float(b), float(p_target)

    @classmethod
    def fit(cls, scores, labels, p_target: float = 0.5) -> LinearCalibration:
        return cls(*fit_linear(scores, labels, p_target), p_target)

    def __call__(self, scores) -> np.ndarray:
        s = np.asarray(scores, dtype=np.float64)
        if not np.all(np.isfinite(s)):
            raise ValueError(f"scores: {int((~np.isfinite(s)).sum())} value(s) are NaN or infinite")
        return self.a * s + self.b

    def as_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "p_target": self.p_target}

    def __repr__(self) -> str:
        return f"LinearCalibration(a={self.a:.4g}, b={self.b:.4g}, fitted at P_target={self.p_target:g})"


def cllr(llrs, labels) -> float:
    """Cllr in bits: ½ [mean over targets of log₂(1 + e^{−LLR}) + mean over non-targets of log₂(1 + e^{LLR})]."""
    llr, y = _checked(llrs, labels)
    return float(0.5 * (_softplus(-llr[y]).mean() + _softplus(llr[~y]).mean()) / math.log(2))


def pav(scores, labels) -> np.ndarray:
    """Pool-adjacent-violators: the non-decreasing fit of the labels (0/1) to the scores' order, i.e. the
    posterior P(target | s) of the best monotone map, one value per trial (ties share one value)."""
    s, y = _checked(scores, labels)
    order = np.argsort(s, kind="mergesort")
    s_sorted, t = s[order], y[order].astype(np.float64)
    # Tied scores form one starting block, so a monotone map gives them one value.
    starts = np.concatenate([[0], np.flatnonzero(s_sorted[1:] != s_sorted[:-1]) + 1])
    sums = list(np.add.reduceat(t, starts))
    counts = list(np.diff(np.concatenate([starts, [len(t)]])).astype(np.float64))
    values, weights, sizes = [], [], []
    for total, n in zip(sums, counts):
        values.append(total / n), weights.append(n), sizes.append(int(n))
        while len(values) > 1 and values[-2] >= values[-1]:  # merge violators
            w = weights[-2] + weights[-1]
            v = (values[-2] * weights[-2] + values[-1] * weights[-1]) / w
            size = sizes[-2] + sizes[-1]
            values[-2:], weights[-2:], sizes[-2:] = [v], [w], [size]
    fitted = np.repeat(values, sizes)
    out = np.empty_like(fitted)
    out[order] = fitted
    return out


def pav_llrs(scores, labels) -> np.ndarray:
    """The LLRs of the PAV fit: posterior log-odds minus the prior log-odds of the list (N_tar / N_non)."""
    s, y = _checked(scores, labels)
    posterior = pav(s, y)
    with np.errstate(divide="ignore"):
        log_odds = np.log(posterior) - np.log1p(-posterior)  # ±inf where the fit is 0 or 1
    return log_odds - math.log(y.sum() / (~y).sum())


def min_cllr(scores, labels) -> float:
    """Cllr after the best monotone recalibration (PAV): 0 for separable scores, 1 for uninformative ones."""
    _, y = _checked(scores, labels)
    llr = pav_llrs(scores, labels)
    # ±inf LLRs cost nothing on the side they are right about (PAV never puts them on the wrong side).
    tar = np.where(np.isposinf(llr[y]), 0.0, _softplus(-llr[y]))
    non = np.where(np.isneginf(llr[~y]), 0.0, _softplus(llr[~y]))
    return float(0.5 * (tar.mean() + non.mean()) / math.log(2))


def actual_dcf(scores, labels, threshold: float, p_target: float = 0.01, c_miss: float = 1.0,
               c_fa: float = 1.0) -> float:
    """The normalised detection cost of accepting trials with score ≥ ``threshold`` (as ``metrics.min_dcf``
    normalises: divided by min(C_miss·P, C_fa·(1−P)))."""
    s, y = _checked(scores, labels)
    if not math.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number, got {threshold}")
    logit(p_target)  # validates p_target
    p_miss = float((s[y] < threshold).mean())
    p_fa = float((s[~y] >= threshold).mean())
    cost = c_miss * p_miss * p_target + c_fa * p_fa * (1 - p_target)
    return cost / min(c_miss * p_target, c_fa * (1 - p_target))
