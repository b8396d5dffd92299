"""EER and minDCF against an independent brute-force computation.

The brute force tries every threshold t in (every score) ∪ {+inf}, computes
P_miss(t) = #(targets < t) / #targets and P_fa(t) = #(non-targets ≥ t) / #non-targets
directly, and finds the EER by walking every segment between consecutive
operating points and intersecting it with the line P_miss = P_fa.
"""

import numpy as np
import pytest
import torch

from course import metrics


def brute_points(scores, labels):
    scores, labels = np.asarray(scores, float), np.asarray(labels, bool)
    tgt, non = scores[labels], scores[~labels]
    thresholds = sorted(set(scores.tolist())) + [np.inf]
    return [(np.mean(tgt < t), np.mean(non >= t)) for t in thresholds]


def brute_eer(scores, labels):
    points = brute_points(scores, labels)
    for (m0, f0), (m1, f1) in zip(points, points[1:]):
        d0, d1 = m0 - f0, m1 - f1
        if d0 == 0:
            return m0
        if d0 < 0 <= d1:
            a = -d0 / (d1 - d0)
            return m0 + a * (m1 - m0)
    return points[-1][0]


def brute_min_dcf(scores, labels, p_target):
    cost = min(m * p_target + f * (1 - p_target) for m, f in brute_points(scores, labels))
    return cost / min(p_target, 1 - p_target)


def random_case(seed, n_target, n_non, decimals=None):
    r = np.random.default_rng(seed)
    scores = np.concatenate([r.normal(1.0, 1.0, n_target), r.normal(0.0, 1.0, n_non)])
    if decimals is not None:  # rounding makes many ties, across classes too
        scores = np.round(scores, decimals)
    labels = np.concatenate([np.ones(n_target, int), np.zeros(n_non, int)])
    order = r.permutation(len(scores))
    return scores[order], labels[order]


CASES = [(0, 50, 50, None), (1, 200, 800, None), (2, 3, 400, None), (3, 400, 2, None), (4, 100, 100, 1),
         (5, 30, 300, 0), (6, 1, 1, None), (7, 2, 3, None), (8, 1000, 1000, 2)]


@pytest.mark.parametrize("seed,n_target,n_non,decimals", CASES)
def test_eer_matches_brute_force(seed, n_target, n_non, decimals):
    scores, labels = random_case(seed, n_target, n_non, decimals)
    assert metrics.eer(scores, labels) == pytest.approx(brute_eer(scores, labels), abs=1e-12)


@pytest.mark.parametrize("p_target", [0.01, 0.05, 0.5])
@pytest.mark.parametrize("seed,n_target,n_non,decimals", CASES)
def test_min_dcf_matches_brute_force(seed, n_target, n_non, decimals, p_target):
    scores, labels = random_case(seed, n_target, n_non, decimals)
    assert metrics.min_dcf(scores, labels, p_target) == pytest.approx(brute_min_dcf(scores, labels, p_target),
                                                                      abs=1e-12)


def test_perfect_separation_has_zero_eer_and_zero_min_dcf():
    scores, labels = [0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]
    assert metrics.eer(scores, labels) == 0.0 and metrics.min_dcf(scores, labels) == 0.0


def test_reversed_scores_have_eer_one():
    assert metrics.eer([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]) == 1.0


def test_all_scores_tied_give_eer_one_half():
    assert metrics.eer([0.5] * 6, [1, 0, 1, 0, 0, 1]) == pytest.approx(0.5)


def test_min_dcf_never_exceeds_the_trivial_system():
    scores, labels = random_case(11, 40, 60)
    assert metrics.min_dcf(-scores, labels, 0.01) <= 1.0


def test_eer_does_not_depend_on_trial_order_or_a_monotonic_rescaling():
    scores, labels = random_case(12, 80, 120)
    order = np.random.default_rng(0).permutation(len(scores))
    assert metrics.eer(scores[order], labels[order]) == pytest.approx(metrics.eer(scores, labels))
    assert metrics.eer(np.exp(3 * scores), labels) == pytest.approx(metrics.eer(scores, labels))


def test_torch_tensors_are_accepted():
    scores, labels = random_case(13, 20, 20)
    assert metrics.eer(torch.tensor(scores), torch.tensor(labels)) == pytest.approx(metrics.eer(scores, labels))


def test_det_curve_runs_from_accept_all_to_reject_all():
    p_miss, p_fa, _ = metrics.det_curve(*random_case(14, 30, 30))
    assert (p_miss[0], p_fa[0], p_miss[-1], p_fa[-1]) == (0, 1, 1, 0)
    assert np.all(np.diff(p_miss) >= 0) and np.all(np.diff(p_fa) <= 0)


def test_eer_threshold_separates_the_classes_at_the_eer():
    scores, labels = random_case(15, 500, 500)
    value, threshold = metrics.eer(scores, labels, return_threshold=True)
    p_miss = np.mean(scores[labels == 1] < threshold)
    p_fa = np.mean(scores[labels == 0] >= threshold)
    assert abs(p_miss - value) < 0.01 and abs(p_fa - value) < 0.01


@pytest.mark.parametrize("scores,labels,message", [
    ([], [], "empty"),
    ([0.1, 0.2], [1, 1], "only targets"),
    ([0.1, 0.2], [0, 0], "only non-targets"),
    ([0.1, 0.2], [0, 1, 1], "differ in length"),
    ([0.1, float("nan")], [0, 1], "NaN"),
    ([0.1, 0.2], [0, 2], "labels"),
])
def test_bad_input_gets_a_clear_error(scores, labels, message):
    with pytest.raises(ValueError, match=message):
        metrics.eer(scores, labels)
    with pytest.raises(ValueError, match=message):
        metrics.min_dcf(scores, labels)


def test_p_target_outside_zero_one_is_refused():
    with pytest.raises(ValueError, match="p_target"):
        metrics.min_dcf([0.1, 0.2], [0, 1], p_target=1.5)
