"""Validation during training: the EER on the corpus's trial list, and the threshold to keep.

The embeddings of the trial files are scored by cosine after subtracting their
mean (as ``course.evaluate``); the mean and the threshold at the EER are stored
with the checkpoint, so that ``course.verify`` decides a new pair the same way.
"""

from __future__ import annotations

from pathlib import Path

import torch

from course.data.corpus import load_trials
from course.evaluate import embed_files
from course.metrics import eer, min_dcf
from course.scoring import score_trials


@torch.no_grad()
def validate(model, root: str | Path, device=None, max_trials: int | None = None) -> dict:
    """{"eer", "threshold", "min_dcf", "mean"} of ``model`` on ``root``'s trials (the first ``max_trials``)."""
    trials = load_trials(root)[:max_trials]
    files = sorted({p for _, a, b in trials for p in (a, b)})
    embeddings = embed_files(model, files, device)
    mean = torch.stack(list(embeddings.values())).mean(0)
    scores, labels = score_trials(embeddings, trials, mean)
    value, threshold = eer(scores, labels, return_threshold=True)
    return {"eer": value, "threshold": threshold, "min_dcf": min_dcf(scores, labels, 0.01), "mean": mean}
