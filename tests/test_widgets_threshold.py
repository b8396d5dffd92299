"""The threshold lab: its counts follow the threshold, its Bayes threshold follows the prior."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from course.calibration import LinearCalibration, bayes_threshold
from course.viz.decision import operating_point, reliability
from course.widgets.threshold import threshold_lab


@pytest.fixture()
def systems():
    rng = np.random.default_rng(0)
    labels = np.r_[np.ones(100, int), np.zeros(300, int)]
    scores = np.r_[rng.normal(0.6, 0.1, 100), rng.normal(0.2, 0.1, 300)]
    return {"calibrated": (scores, labels, LinearCalibration.fit(scores, labels)),
            "raw": (scores, labels, None)}


def test_operating_point_counts_false_accepts_and_rejects():
    point = operating_point([0.1, 0.5, 0.9, 0.4], [0, 0, 1, 1], threshold=0.45)
    assert point["false_accepts"] == 1 and point["false_rejects"] == 1
    assert point["p_fa"] == 0.5 and point["p_miss"] == 0.5


def test_moving_the_threshold_up_trades_false_accepts_for_false_rejects(systems):
    lab = threshold_lab(systems)
    lab.set(system="raw", threshold=0.3)
    low = dict(lab.last_plotted)
    lab.set(threshold=0.5)
    assert lab.last_plotted["false_accepts"] < low["false_accepts"]
    assert lab.last_plotted["false_rejects"] > low["false_rejects"]
    assert lab.last_plotted["actual_dcf"] >= lab.last_plotted["min_dcf"]


def test_the_bayes_threshold_moves_with_the_prior_only_when_calibrated(systems):
    lab = threshold_lab(systems)
    lab.set(system="calibrated", p_target=0.01)
    rare = lab.last_plotted["bayes_threshold"]
    lab.set(p_target=0.3)
    assert lab.last_plotted["bayes_threshold"] < rare  # commoner targets: accept more
    cal = systems["calibrated"][2]
    assert cal(lab.last_plotted["bayes_threshold"]) == pytest.approx(bayes_threshold(lab.controls["p_target"].value))
    lab.set(system="raw")
    assert lab.last_plotted["bayes_threshold"] is None and "uncalibrated" in lab.report


def test_unknown_controls_are_named(systems):
    with pytest.raises(ValueError, match="unknown control"):
        threshold_lab(systems).set(thresh=1)


def test_reliability_of_calibrated_llrs_is_near_the_diagonal(systems):
    scores, labels, cal = systems["calibrated"]
    predicted, observed, counts = reliability(cal(scores), labels, prior=labels.mean())
    assert np.average(np.abs(predicted - observed), weights=counts) < 0.1


def test_every_explorer_has_set_and_values_from_the_one_skeleton():
    from course.widgets import assignments, attention, features, margins, stsp, threshold
    from course.widgets.base import Explorer

    for cls in (assignments.AssignmentExplorer, attention.AttentionExplorer, features.FbankExplorer,
                margins.MarginExplorer, stsp.STSPExplorer, threshold.ThresholdLab):
        assert issubclass(cls, Explorer) and cls.set is Explorer.set, cls.__name__
