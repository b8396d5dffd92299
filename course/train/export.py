"""A trained model as one file: weights, config, and how to score with it.

``save_model(path, result)`` writes the model and head weights, the config, the
validation history, and the scoring recipe (the mean embedding to subtract and
the cosine threshold at the validation EER): a model file (``checkpoints.MODEL_FORMAT``).
``load_model(path)`` rebuilds the model from it; it also reads ``cached_fit``'s files and
training checkpoints, through the one reader (``checkpoints.read_checkpoint``), so
``course.verify`` takes any of them.
"""

from __future__ import annotations

from pathlib import Path

import torch

from course.train import builders
from course.train.checkpoints import (
    MODEL_FORMAT,
    CheckpointError,
    load_weights,
    read_checkpoint,
    scoring_recipe,
    write_payload,
)
from course.train.config import TrainConfig


def save_model(path: str | Path, result, extra: dict | None = None) -> Path:
    """Write ``result`` (a ``TrainResult``) to ``path`` atomically (unique temporary file, renamed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": MODEL_FORMAT, "config": result.config.to_dict(), "model": result.model.state_dict(),
               "head": result.head.state_dict(), "head_shape": tuple(result.head.weight.shape),
               "losses": result.losses, "accuracies": result.accuracies, "seconds": result.seconds,
               "cpu_seconds": result.cpu_seconds, "history": result.history, "threshold": result.threshold,
               "score_mean": result.score_mean, "test": getattr(result, "test", None),
               "calibration": getattr(result, "calibration", None), **(extra or {})}
    write_payload(path, payload)  # atomic and sealed: readers never see a half-written or damaged file
    return path


def load_model(path: str | Path) -> tuple[torch.nn.Module, dict]:
    """(model in eval mode on the CPU, info) from a saved model, cache file or training checkpoint.

    info: config (a TrainConfig), threshold, score_mean, eer (last validation, or None), history.
    """
    payload = read_checkpoint(path)
    stored = dict(payload["config"])
    if stored.get("model") == "aca_net" and stored.get("pooling") == "ASTP":
        stored["pooling"] = None  # files written before ACA-Net stopped naming the pooling it never used
    try:
        config = TrainConfig.from_dict(stored)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: its config does not fit this version of the course ({error})") from None
    try:
        model = builders.build_model(config)
    except (ValueError, TypeError) as error:  # a model or pooling name this version does not have
        raise CheckpointError(f"{path}: its config does not fit this version of the course ({error})") from None
    load_weights(path, model, payload["model"], config.model)
    bad = [name for name, t in model.state_dict().items() if t.is_floating_point() and not torch.isfinite(t).all()]
    if bad:  # NaN weights give NaN scores, which would read as confident "different speakers"
        raise CheckpointError(f"{path}: {len(bad)} weight tensor(s) hold NaN or inf, e.g. {bad[0]}; "
                              "the run diverged or the file is damaged")
    return model.eval(), {"config": config, **scoring_recipe(payload)}
