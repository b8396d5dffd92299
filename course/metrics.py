"""Verification metrics: EER, minDCF and the DET curve.

Follows the NIST SRE definitions. Sort the trials by score; putting the
threshold just above the k lowest scores gives a miss rate P_miss (targets
rejected / targets) and a false-alarm rate P_fa (non-targets accepted /
non-targets). Ties are kept together: a threshold never splits trials with equal
scores. The EER is where P_miss = P_fa, linearly interpolated between the two
operating points that straddle the crossing. The detection cost is

    C_det = C_miss · P_miss · P_target + C_fa · P_fa · (1 − P_target),

and minDCF is its minimum over thresholds, divided by the cost of the best
trivial system, min(C_miss · P_target, C_fa · (1 − P_target)).
"""

from __future__ import annotations

import numpy as np


def _as_arrays(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores.detach().cpu() if hasattr(scores, "detach") else scores, dtype=np.float64).ravel()
    y = np.asarray(labels.detach().cpu() if hasattr(labels, "detach") else labels).ravel()
    if s.shape != y.shape:
        raise ValueError(f"scores and labels differ in length: {s.size} vs {y.size}")
    if s.size == 0:
        raise ValueError("scores: no trials (empty input)")
    if not np.all(np.isfinite(s)):
        raise ValueError(f"scores: {int((~np.isfinite(s)).sum())} value(s) are NaN or infinite")
    if not np.all(np.isin(y, (0, 1))):
        raise ValueError("labels: expected 0 (non-target) or 1 (target) only")
    y = y.astype(bool)
    if y.all() or not y.any():
        only = "targets" if y.all() else "non-targets"
        raise ValueError(f"labels: need both target and non-target trials, got only {only}")
    return s, y


def det_curve(scores, labels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(P_miss, P_fa, thresholds) at every distinct threshold, from accept-all to reject-all.

    Point k rejects the trials whose score is below ``thresholds[k]``.
    """
    s, y = _as_arrays(scores, labels)
    order = np.argsort(s, kind="mergesort")
    s, y = s[order], y[order]
    n_tgt, n_non = y.sum(), (~y).sum()
    misses = np.concatenate([[0], np.cumsum(y)])          # targets among the k lowest
    rejected_non = np.concatenate([[0], np.cumsum(~y)])   # non-targets among the k lowest
    # Keep only cuts between different scores (and the two ends), so ties stay together.
    keep = np.concatenate([[True], s[1:] != s[:-1], [True]])
    p_miss = misses[keep] / n_tgt
    p_fa = (n_non - rejected_non[keep]) / n_non
    thresholds = np.concatenate([s, [np.inf]])[keep]
    return p_miss, p_fa, thresholds


def eer(scores, labels, return_threshold: bool = False):
    """Equal error rate (a fraction), interpolated linearly where P_miss crosses P_fa."""
    p_miss, p_fa, thresholds = det_curve(scores, labels)
    diff = p_miss - p_fa                      # rises from -1 to +1 with the threshold
    k = int(np.argmax(diff >= 0))             # first point at or past the crossing
    if diff[k] == 0 or k == 0:
        value, thr = p_miss[k], thresholds[k]
    else:
        # Between points k-1 and k both rates move linearly in a parameter a ∈ [0, 1].
        a = -diff[k - 1] / (diff[k] - diff[k - 1])
        value = p_miss[k - 1] + a * (p_miss[k] - p_miss[k - 1])
        thr = thresholds[k - 1] + a * (thresholds[k] - thresholds[k - 1]) if np.isfinite(thresholds[k]) \
            else thresholds[k - 1]
    return (float(value), float(thr)) if return_threshold else float(value)


def min_dcf(scores, labels, p_target: float = 0.01, c_miss: float = 1.0, c_fa: float = 1.0,
            return_threshold: bool = False):
    """Normalised minimum detection cost (NIST SRE), at ``p_target`` (0.01 and 0.05 are usual)."""
    if not 0 < p_target < 1:
        raise ValueError(f"p_target must be in (0, 1), got {p_target}")
    p_miss, p_fa, thresholds = det_curve(scores, labels)
    cost = c_miss * p_miss * p_target + c_fa * p_fa * (1 - p_target)
    k = int(np.argmin(cost))
    value = cost[k] / min(c_miss * p_target, c_fa * (1 - p_target))
    return (float(value), float(thresholds[k])) if return_threshold else float(value)


def summary(scores, labels) -> dict:
    """EER (%) and minDCF at P_target 0.01 and 0.05, the usual table row."""
    return {"eer_%": 100 * eer(scores, labels), "min_dcf_0.01": min_dcf(scores, labels, 0.01),
            "min_dcf_0.05": min_dcf(scores, labels, 0.05)}


def weighted_eer(scores, labels, weights) -> float:
    """EER of trials counted ``weights`` times each (non-negative reals): equal to ``eer`` of the list with
    every trial repeated ``weights[i]`` times, which is how a bootstrap sample is scored without copying it."""
    s, y = _as_arrays(scores, labels)
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.shape != s.shape or np.any(w < 0):
        raise ValueError("weights: one non-negative weight per trial expected")
    keep = w > 0
    s, y, w = s[keep], y[keep], w[keep]
    if y.all() or not y.any():
        return float("nan")  # a resample without one of the classes has no EER
    order = np.argsort(s, kind="mergesort")
    s, y, w = s[order], y[order], w[order]
    misses = np.concatenate([[0], np.cumsum(w * y)]) / (w * y).sum()
    accepted_non = 1 - np.concatenate([[0], np.cumsum(w * ~y)]) / (w * ~y).sum()
    cut = np.concatenate([[True], s[1:] != s[:-1], [True]])  # ties stay together, as in det_curve
    diff = misses[cut] - accepted_non[cut]
    p_miss = misses[cut]
    k = int(np.argmax(diff >= 0))
    if diff[k] == 0 or k == 0:
        return float(p_miss[k])
    a = -diff[k - 1] / (diff[k] - diff[k - 1])
    return float(p_miss[k - 1] + a * (p_miss[k] - p_miss[k - 1]))


def speaker_bootstrap_weights(speakers_a, speakers_b, n_boot: int, seed: int = 0) -> np.ndarray:
    """(n_boot, N) trial weights of a bootstrap over *speakers*: draw the speakers with replacement
    (multiplicity m_s); a target trial of speaker s counts m_s times, a non-target trial of a and b
    m_a · m_b times (every pair of drawn copies), a trial of an undrawn speaker not at all."""
    names = sorted(set(speakers_a) | set(speakers_b))
    index = {name: i for i, name in enumerate(names)}
    a = np.array([index[s] for s in speakers_a])
    b = np.array([index[s] for s in speakers_b])
    rng = np.random.default_rng(seed)
    draws = rng.integers(len(names), size=(n_boot, len(names)))
    counts = np.stack([np.bincount(d, minlength=len(names)) for d in draws]).astype(np.float64)
    return trial_weights(a, b, counts, a == b)


def trial_weights(a: np.ndarray, b: np.ndarray, counts: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The speaker-bootstrap rule: trial weights from per-speaker draw counts (``counts[..., s]``, speaker
    indices ``a``, ``b`` of each trial): m_a for a target trial, m_a · m_b for a non-target one."""
    return np.where(target, counts[..., a], counts[..., a] * counts[..., b])


def eer_interval(scores, labels, speakers_a, speakers_b, n_boot: int = 1000, level: float = 0.95,
                 seed: int = 0) -> dict:
    """EER with a percentile interval from a bootstrap over speakers, and the counts it rests on.

    Trials share speakers (and files), so they are not independent: a per-trial binomial interval
    treats 2,500 trials of 24 speakers as 2,500 independent draws and is far too narrow. Resampling
    the speakers keeps each speaker's trials together (``speaker_bootstrap_weights``).

    Returns {"eer", "low", "high", "level", "targets", "nontargets", "speakers", "n_boot"}.
    """
    s, y = _as_arrays(scores, labels)
    if not (len(speakers_a) == len(speakers_b) == s.size):
        raise ValueError(f"speakers_a, speakers_b: one speaker per trial side expected ({s.size} trials), "
                         f"got {len(speakers_a)} and {len(speakers_b)}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    weights = speaker_bootstrap_weights(speakers_a, speakers_b, n_boot, seed)
    values = np.array([weighted_eer(s, y, w) for w in weights])
    values = values[np.isfinite(values)]
    low, high = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return {"eer": eer(s, y), "low": float(low), "high": float(high), "level": level,
            "targets": int(y.sum()), "nontargets": int((~y).sum()),
            "speakers": len(set(speakers_a) | set(speakers_b)), "n_boot": n_boot}


def eer_difference_interval(scores_a, scores_b, labels, speakers_a, speakers_b, n_boot: int = 1000,
                            level: float = 0.95, seed: int = 0) -> dict:
    """EER(b) − EER(a) of two systems scored on the *same* trials, with a paired bootstrap over speakers:
    each resample weighs both systems' trials alike, so what the two share (hard speakers) cancels.
    A claim "b is worse than a" holds when ``low > 0``. Returns {"difference", "low", "high", "level", ...}."""
    sa, y = _as_arrays(scores_a, labels)
    sb, _ = _as_arrays(scores_b, labels)
    weights = speaker_bootstrap_weights(speakers_a, speakers_b, n_boot, seed)
    diffs = np.array([weighted_eer(sb, y, w) - weighted_eer(sa, y, w) for w in weights])
    diffs = diffs[np.isfinite(diffs)]
    low, high = np.quantile(diffs, [(1 - level) / 2, (1 + level) / 2])
    return {"difference": eer(sb, y) - eer(sa, y), "low": float(low), "high": float(high), "level": level,
            "targets": int(y.sum()), "nontargets": int((~y).sum()),
            "speakers": len(set(speakers_a) | set(speakers_b)), "n_boot": n_boot}


def min_dcf_resolvable(nontargets: int, p_target: float, resolution: float = 0.1) -> bool:
    """Can ``nontargets`` trials resolve minDCF at ``p_target``? One false alarm costs about
    (1 − P) / (P · N_non) of the normalised DCF; the rule asks that cost to be ≤ ``resolution``
    (0.1), i.e. N_non ≥ (1 − P) / (P · 0.1): 990 non-targets at P = 0.01, 190 at P = 0.05."""
    return (1 - p_target) / (p_target * nontargets) <= resolution


def format_eer(result: dict) -> str:
    """'EER 1.92% [95% CI 1.20–2.88] (2,500 target / 2,500 non-target trials, 24 speakers)'."""
    few = "; too few speakers for the interval to mean much" if result["speakers"] < 5 else ""
    return (f"EER {100 * result['eer']:.2f}% [{100 * result['level']:.0f}% CI {100 * result['low']:.2f}–"
            f"{100 * result['high']:.2f}] ({result['targets']:,} target / {result['nontargets']:,} non-target "
            f"trials, {result['speakers']} speakers{few})")
