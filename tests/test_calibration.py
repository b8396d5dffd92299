"""course.calibration against independent implementations (scikit-learn) and cases with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course import calibration, metrics

sklearn = pytest.importorskip("sklearn")


def scores_and_labels(seed=0, n_tar=300, n_non=900, separation=2.0):
    rng = np.random.default_rng(seed)
    s = np.r_[rng.normal(separation, 1, n_tar), rng.normal(0, 1, n_non)]
    return s, np.r_[np.ones(n_tar, int), np.zeros(n_non, int)]


@pytest.mark.parametrize("p_target", [0.5, 0.1, 0.01])
def test_linear_calibration_equals_weighted_logistic_regression(p_target):
    from sklearn.linear_model import LogisticRegression

    s, y = scores_and_labels()
    a, b = calibration.fit_linear(s, y, p_target)
    weights = np.where(y == 1, p_target / y.sum(), (1 - p_target) / (1 - y).sum())
    reference = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(
        s[:, None], y, sample_weight=weights * len(y))
    # sklearn fits logit P(target | s) = a s + c; ours adds the prior offset: b = c − logit(P).
    assert a == pytest.approx(reference.coef_[0, 0], abs=1e-6)
    assert b == pytest.approx(reference.intercept_[0] - calibration.logit(p_target), abs=1e-6)


def test_cllr_equals_its_definition_in_bits():
    s, y = scores_and_labels()
    llr = 0.7 * s - 1.1
    lr = np.exp(llr)
    expected = 0.5 * (np.mean(np.log2(1 + 1 / lr[y == 1])) + np.mean(np.log2(1 + lr[y == 0])))
    assert calibration.cllr(llr, y) == pytest.approx(expected, abs=1e-9)


def test_pav_equals_isotonic_regression():
    from sklearn.isotonic import IsotonicRegression

    s, y = scores_and_labels(separation=1.0)
    s = np.round(s, 1)  # ties
    reference = IsotonicRegression(increasing=True).fit_transform(s, y)
    np.testing.assert_allclose(calibration.pav(s, y), reference, atol=1e-9)


def test_min_cllr_is_zero_for_separated_and_one_for_uninformative_scores():
    s, y = scores_and_labels(separation=20.0)
    assert calibration.min_cllr(s, y) == pytest.approx(0.0, abs=1e-9)
    constant = np.zeros_like(s)
    assert calibration.min_cllr(constant, y) == pytest.approx(1.0, abs=1e-9)
    assert calibration.cllr(constant, y) == pytest.approx(1.0, abs=1e-9)  # LLR 0 everywhere: 1 bit


def test_min_cllr_never_exceeds_cllr_and_calibration_on_the_same_list_nearly_reaches_it():
    s, y = scores_and_labels()
    raw = calibration.cllr(s, y)  # scores are not LLRs: miscalibrated
    calibrated = calibration.cllr(calibration.LinearCalibration.fit(s, y)(s), y)
    floor = calibration.min_cllr(s, y)
    assert floor <= calibrated < raw and calibrated - floor < 0.05


def test_uninformative_scores_calibrated_on_other_data_cost_at_least_one_bit():
    rng = np.random.default_rng(3)
    y = np.r_[np.ones(200, int), np.zeros(200, int)]
    s = rng.normal(0, 1, 400)  # independent of the label
    assert calibration.cllr(2.0 * s, y) >= 1.0


def test_bayes_threshold_is_minus_logit_of_the_prior_plus_the_cost_ratio():
    assert calibration.bayes_threshold(0.5) == 0.0
    assert calibration.bayes_threshold(0.01) == pytest.approx(math.log(99))
    assert calibration.bayes_threshold(0.01, c_miss=10, c_fa=1) == pytest.approx(math.log(99) - math.log(10))


def test_actual_dcf_at_the_best_threshold_equals_min_dcf():
    s, y = scores_and_labels()
    value, threshold = metrics.min_dcf(s, y, 0.01, return_threshold=True)
    assert calibration.actual_dcf(s, y, threshold, 0.01) == pytest.approx(value, abs=1e-9)
    assert calibration.actual_dcf(s, y, threshold + 1.0, 0.01) >= value


def test_actual_dcf_of_calibrated_llrs_at_the_bayes_threshold_is_near_min_dcf():
    s, y = scores_and_labels(n_tar=2000, n_non=6000)
    cal = calibration.LinearCalibration.fit(s, y, p_target=0.05)
    llr = cal(s)
    act = calibration.actual_dcf(llr, y, calibration.bayes_threshold(0.05), 0.05)
    assert metrics.min_dcf(s, y, 0.05) <= act < metrics.min_dcf(s, y, 0.05) + 0.05


@pytest.mark.parametrize("bad, match", [
    (dict(labels=np.ones(10, int)), "only targets"),
    (dict(scores=np.r_[np.nan, np.zeros(9)]), "NaN or infinite"),
    (dict(scores=np.zeros(9)), "differ in length"),
])
def test_bad_development_lists_are_clear_errors(bad, match):
    args = {"scores": np.linspace(0, 1, 10), "labels": np.r_[np.ones(5, int), np.zeros(5, int)], **bad}
    with pytest.raises(ValueError, match=match):
        calibration.fit_linear(args["scores"], args["labels"])
    with pytest.raises(ValueError, match=match):
        calibration.min_cllr(args["scores"], args["labels"])


def test_bad_operating_points_are_refused():
    with pytest.raises(ValueError, match="p_target"):
        calibration.bayes_threshold(0.0)
    with pytest.raises(ValueError, match="threshold"):
        calibration.actual_dcf([0.1, 0.2], [0, 1], float("nan"))
