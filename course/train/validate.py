"""Validation during training: the EER on the corpus's development trials, and the threshold to keep.

The course's scoring protocol (``course.evaluate``): the mean embedding is estimated on training
utterances, the trials are the development list (``veri_dev.txt``: speakers disjoint from training
and test), and the threshold at its EER is what a trained model stores. The mean and the threshold
go with the checkpoint, so that ``course.verify`` decides a new pair the same way; the test trials
are scored once, after training (``course.evaluate.embed_and_score``).
"""

from __future__ import annotations

from pathlib import Path

import torch

from course.calibration import LinearCalibration
from course.data.corpus import DEV_TRIAL_FILE, load_trials
from course.evaluate import embed_files, training_mean, trial_files
from course.metrics import eer, min_dcf
from course.scoring import score_trials


def dev_trial_file(root: str | Path) -> str:
    """The development trial list of ``root``; a corpus without one cannot choose a threshold honestly."""
    if not (Path(root) / DEV_TRIAL_FILE).is_file():
        raise FileNotFoundError(f"{Path(root) / DEV_TRIAL_FILE} not found: validation needs development trials "
                                "(speakers neither trained on nor tested); regenerate the corpus with "
                                "development speakers, or set val_every=0")
    return DEV_TRIAL_FILE


@torch.no_grad()
def validate(model, root: str | Path, device=None, max_trials: int | None = None) -> dict:
    """{"eer", "threshold", "min_dcf", "mean", "calibration"} of ``model`` on ``root``'s development trials
    (the first ``max_trials``), scored after subtracting the mean embedding of training utterances;
    ``calibration`` is the linear map of those scores to LLRs (``course.calibration``), as a dict."""
    trials = load_trials(root, dev_trial_file(root))[:max_trials]
    mean = training_mean(model, root, device)
    scores, labels = score_trials(embed_files(model, trial_files(trials), device), trials, mean)
    value, threshold = eer(scores, labels, return_threshold=True)
    return {"eer": value, "threshold": threshold, "min_dcf": min_dcf(scores, labels, 0.01), "mean": mean,
            "calibration": LinearCalibration.fit(scores, labels).as_dict()}
