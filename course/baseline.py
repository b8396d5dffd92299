"""The no-training baseline: describe an utterance by the mean and standard deviation of its log-mel fbank.

Nothing is learned: two utterances score high when their average spectra (and
spectral spread) point the same way. It hears the channel as much as the voice,
which is exactly why speaker embeddings are trained.
"""

from __future__ import annotations

from pathlib import Path

import torch

from course.audio import SAMPLE_RATE, read
from course.features import fbank


def stats_embedding(waveform: torch.Tensor, sample_rate: int = SAMPLE_RATE) -> torch.Tensor:
    """[mean; std] over time (population std, 1/T) of the log-mel fbank without CMN → (160,)."""
    feats = fbank(waveform, sample_rate, cmn=False)
    return torch.cat([feats.mean(-1), feats.std(-1, correction=0)])


def embed_files(paths, progress: bool = False) -> dict[Path, torch.Tensor]:
    from tqdm.auto import tqdm

    return {p: stats_embedding(read(p)[0]) for p in tqdm(paths, desc="baseline", disable=not progress)}


def evaluate(root: str | Path, subtract_mean: bool = True, progress: bool = False) -> dict:
    """EER and minDCF of the baseline on a corpus's trial list (mean from the test files themselves)."""
    from course.data.corpus import load_trials
    from course.metrics import summary
    from course.scoring import score_trials

    trials = load_trials(root)
    embeddings = embed_files(sorted({p for _, a, b in trials for p in (a, b)}), progress)
    mean = torch.stack(list(embeddings.values())).mean(0) if subtract_mean else None
    scores, labels = score_trials(embeddings, trials, mean)
    return {**summary(scores, labels), "scores": scores, "labels": labels}
