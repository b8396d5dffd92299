"""Training curves: loss and accuracy by step, validation EER by step (pure plotting)."""

from __future__ import annotations

import numpy as np

from course.viz import figures


def smooth(values, window: int = 20) -> np.ndarray:
    """Running mean over the last ``window`` values (shorter at the start)."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return values
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    index = np.arange(1, values.size + 1)
    start = np.maximum(0, index - window)
    return (cumulative[index] - cumulative[start]) / (index - start)


def plot_training_curves(state: dict, axes=None, title: str = "training"):
    """Left: training loss (raw and smoothed) and batch accuracy; right: validation EER (%).

    ``state``: {"losses", "accuracies", "history": [{"step", "eer"}, ...], "steps"} as
    ``course.train.fit`` hands its callback (or built from a ``TrainResult``).
    """
    if axes is None:
        _, axes = figures.subplots(1, 2, figsize=(10, 3.6))
    loss_ax, eer_ax = axes
    for ax in axes:
        ax.clear()
    steps = np.arange(1, len(state["losses"]) + 1)
    loss_ax.plot(steps, state["losses"], color="0.75", lw=0.8, label="loss (batch)")
    loss_ax.plot(steps, smooth(state["losses"]), color="C0", lw=1.8, label="loss (mean of 20)")
    loss_ax.set_xlim(0, state.get("steps") or max(1, len(steps)))
    loss_ax.set_xlabel("optimiser step")
    loss_ax.set_ylabel("cross-entropy (nats)")
    loss_ax.set_title(f"{title}: loss and accuracy")
    accuracy_ax = loss_ax.twinx() if not hasattr(loss_ax, "_accuracy_twin") else loss_ax._accuracy_twin
    loss_ax._accuracy_twin = accuracy_ax
    accuracy_ax.clear()
    accuracy_ax.yaxis.tick_right()  # clear() puts a twin's ticks and label back on the left
    accuracy_ax.yaxis.set_label_position("right")
    accuracy_ax.plot(steps, smooth(state["accuracies"]), color="C2", lw=1.2, label="batch accuracy (mean of 20)")
    accuracy_ax.set_ylim(0, 1)
    accuracy_ax.set_ylabel("training accuracy")
    lines = loss_ax.get_lines() + accuracy_ax.get_lines()
    loss_ax.legend(lines, [line.get_label() for line in lines], loc="center right", fontsize=8)
    history = state.get("history") or []
    if history:
        eer_ax.plot([h["step"] for h in history], [100 * h["eer"] for h in history], "o-", color="C3")
        for h in history[-1:]:
            eer_ax.annotate(f"{100 * h['eer']:.2f}%", (h["step"], 100 * h["eer"]), textcoords="offset points",
                            xytext=(-10, 8), ha="right")
    eer_ax.set_xlim(0, state.get("steps") or max(1, len(steps)))
    eer_ax.set_ylim(bottom=0)
    eer_ax.set_xlabel("optimiser step")
    eer_ax.set_ylabel("EER on the test trials (%)")
    eer_ax.set_title("validation EER")
    eer_ax.grid(alpha=0.3)
    return axes
