"""What notebook 10 uses after training: the robustness table, t-SNE, the curves, the exercise checks."""

import math

import matplotlib
import numpy as np
import pytest
import torch

from course.checks.training import check_add_noise, check_as_norm, check_lr_schedule, reference_lr
from course.train.robustness import format_table, robustness_table
from course.viz.embedding_map import tsne
from course.viz.training import plot_training_curves, smooth

matplotlib.use("Agg")


def test_tsne_keeps_separated_clusters_apart():
    g = torch.Generator().manual_seed(0)
    centres = 4 * torch.randn(5, 16, generator=g)
    x = torch.cat([c + torch.randn(20, 16, generator=g) for c in centres])
    y = tsne(x, perplexity=10, steps=300)  # perplexity below the 20 points of a cluster
    labels = np.repeat(np.arange(5), 20)
    means = np.stack([y[labels == k].mean(0) for k in range(5)])
    spread = max(np.linalg.norm(y[labels == k] - means[k], axis=1).mean() for k in range(5))
    closest = min(np.linalg.norm(means[i] - means[j]) for i in range(5) for j in range(i + 1, 5))
    assert closest > 3 * spread


def test_tsne_is_deterministic_for_a_seed_and_refuses_too_few_points():
    x = torch.randn(12, 4, generator=torch.Generator().manual_seed(1))
    assert np.array_equal(tsne(x, steps=50), tsne(x, steps=50))
    with pytest.raises(ValueError, match="at least 4"):
        tsne(x[:3])


def test_robustness_table_has_an_eer_per_system_and_condition(tmp_path):
    from course.baseline import stats_embedding
    from tests.synthvox_tiny import tiny_corpus

    root = tiny_corpus(tmp_path)
    table = robustness_table({"baseline": stats_embedding}, root)
    assert set(table["baseline"]) == {"clean", "telephone", "reverb", "noise"}
    assert all(0 <= v["low"] <= v["eer"] <= v["high"] <= 1 for v in table["baseline"].values())
    assert "telephone" in format_table(table)


def test_training_curves_draw_loss_accuracy_and_eer():
    state = {"losses": [5.0, 4.0, 3.0], "accuracies": [0.0, 0.5, 1.0], "steps": 3,
             "history": [{"step": 3, "eer": 0.05}]}
    loss_ax, eer_ax = plot_training_curves(state)
    assert len(loss_ax.get_lines()) == 2 and len(eer_ax.get_lines()) == 1
    np.testing.assert_allclose(smooth([1, 2, 3], window=2), [1, 1.5, 2.5])


def test_the_exercise_checks_accept_the_reference_and_reject_a_mistake():
    from course.data.augment import add_noise
    from course.scoring import as_norm

    assert check_add_noise(add_noise)
    assert not check_add_noise(lambda s, n, snr: s + n)
    assert check_lr_schedule(reference_lr)
    assert not check_lr_schedule(lambda step, steps, warmup, final: 1.0)
    assert check_as_norm(lambda s, a, b, c, k: as_norm(s, a, b, c, top_k=k))
    assert not check_as_norm(lambda s, a, b, c, k: s)
    assert reference_lr(100, 100, 10, 0.05) == pytest.approx(0.05) and math.isclose(reference_lr(0, 100, 10, 0.05), 0.1)


def test_the_exercise_schedule_is_the_one_the_trainer_uses():
    """The notebook's reference schedule is checked against the trainer's, not against itself."""
    from course.train.builders import lr_factor
    from tests.toys import tiny_config

    for steps, warmup, final in ((100, 10, 0.05), (800, 50, 0.05), (30, 0, 0.2)):
        config = tiny_config(steps=steps, warmup_steps=warmup, final_lr=final, schedule="cosine")
        for step in (0, 1, warmup, steps // 3, steps - 1, steps):
            assert reference_lr(step, steps, warmup, final) == pytest.approx(lr_factor(step, config), abs=1e-12)
