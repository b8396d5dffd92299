import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from scipy.stats import norm  # noqa: E402

from course import metrics  # noqa: E402
from course.viz.scores import det_coordinates, plot_det, plot_score_histograms  # noqa: E402


def _case():
    r = np.random.default_rng(0)
    return np.r_[r.normal(1, 1, 200), r.normal(-1, 1, 200)], np.r_[np.ones(200, int), np.zeros(200, int)]


def test_det_coordinates_are_probits_of_the_error_rates():
    scores, labels = _case()
    x, y = det_coordinates(scores, labels)
    p_miss, p_fa, _ = metrics.det_curve(scores, labels)
    np.testing.assert_allclose(norm.cdf(x[1:-1]), np.clip(p_fa[1:-1], 1e-4, 1 - 1e-4))
    np.testing.assert_allclose(norm.cdf(y[1:-1]), np.clip(p_miss[1:-1], 1e-4, 1 - 1e-4))


def test_gaussian_scores_give_a_nearly_straight_det_line():
    scores, labels = _case()
    x, y = det_coordinates(scores, labels)
    inside = (np.abs(x) < 1.5) & (np.abs(y) < 1.5)
    slope, _ = np.polyfit(x[inside], y[inside], 1)
    assert abs(slope + 1) < 0.25  # equal variances: slope −1


def test_det_plot_has_labelled_axes_and_one_line_per_system_with_its_eer():
    scores, labels = _case()
    fig = plot_det({"a": (scores, labels), "b": (scores * 0.5, labels)})
    ax = fig.axes[0]
    assert "false-alarm" in ax.get_xlabel() and "miss" in ax.get_ylabel() and ax.get_title()
    names = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(n.startswith("a (EER") for n in names) and any(n.startswith("b (EER") for n in names)


def test_histogram_marks_the_eer_threshold():
    scores, labels = _case()
    fig = plot_score_histograms(scores, labels)
    _, threshold = metrics.eer(scores, labels, return_threshold=True)
    lines = [line for line in fig.axes[0].get_lines() if line.get_linestyle() == "--"]
    assert lines and np.isclose(lines[0].get_xdata()[0], threshold)
