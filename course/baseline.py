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
    feats = fbank(waveform, sample_rate, mean_norm=False)
    return torch.cat([feats.mean(-1), feats.std(-1, correction=0)])


def embed_files(paths, progress: bool = False) -> dict[Path, torch.Tensor]:
    """path → baseline embedding (CPU float32, (160,)): the format of ``course.evaluate.embed_files``."""
    from tqdm.auto import tqdm

    return {p: stats_embedding(read(p)[0]) for p in tqdm(paths, desc="baseline", disable=not progress)}


def evaluate(root: str | Path, mean="train", progress: bool = False) -> dict:
    """EER (with its interval), minDCF, scores and labels of the baseline on a corpus's test trials, in
    the format of ``course.evaluate.score_embeddings``. ``mean``: "train" subtracts the mean baseline
    embedding of the corpus's training utterances (``course.evaluate.training_files``); None: plain cosine."""
    from course.data.corpus import load_trials
    from course.evaluate import mean_embedding, score_embeddings, training_files, trial_files

    trials = load_trials(root)
    if isinstance(mean, str):
        mean = mean_embedding(embed_files(training_files(root)))
    return score_embeddings(embed_files(trial_files(trials), progress), trials, mean)
