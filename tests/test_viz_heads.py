"""The head plots draw what they are given, with titles and labelled axes."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from course.viz.heads import plot_margin_schedule, plot_target_logits, plot_toy_embeddings  # noqa: E402


def test_target_logit_plot_has_one_line_per_head_with_its_values():
    theta = np.linspace(0, 180, 50)
    curves = {"a": np.cos(np.radians(theta)), "b": np.cos(np.radians(theta)) - 0.2}
    fig = plot_target_logits(theta, curves, ylim=(-2, 1.1))
    ax = fig.axes[0]
    lines = [line for line in ax.get_lines() if line.get_label() in curves]
    assert [line.get_label() for line in lines] == ["a", "b"]
    np.testing.assert_array_equal(lines[1].get_ydata(), curves["b"])
    assert ax.get_title() and "degrees" in ax.get_xlabel() and ax.get_ylim() == (-2, 1.1)
    plt.close(fig)


def test_margin_schedule_plot_labels_its_axes():
    fig = plot_margin_schedule(np.arange(5), {"linear": np.linspace(0, 0.2, 5)})
    ax = fig.axes[0]
    assert ax.get_xlabel() == "training step" and "radians" in ax.get_ylabel() and ax.get_title()
    plt.close(fig)


def test_toy_plot_draws_the_embeddings_and_both_region_maps():
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 5)), axis=-1)
    decision = np.zeros((5, 5), dtype=int)
    margin = -np.ones((5, 5), dtype=int)
    embeddings = np.array([[0.5, 0.1], [-0.3, 0.4]])
    fig = plot_toy_embeddings(embeddings, np.array([0, 1]), np.array([[1.0, 0.0], [0.0, 1.0]]), grid, decision,
                              margin, [1.0, 0.5], "toy")
    ax, ax_loss = fig.axes
    assert len(ax.images) == 2
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), embeddings)
    assert ax.get_title() == "toy" and ax.get_xlabel() and ax_loss.get_ylabel()
    plt.close(fig)
