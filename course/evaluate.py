"""Evaluate a speaker-embedding model on a corpus's trial list: embed, score, measure, decide.

One path, four steps: ``embed_files`` / ``embed_waves`` (the model's own features), the trials
(``course.data.trials`` reads and writes every list format), ``score_embeddings`` (the protocol
below), ``decide`` (a raw threshold, or a calibrated LLR at an operating point).

The course's scoring protocol, one for every notebook and tool:

- each utterance is embedded whole, with the features the model records it expects
  (``course.features.for_model``: Kaldi CMN fbank unless ``model.feature_type`` says otherwise;
  passing other ``features`` warns), in batches of similar lengths with ``lengths`` so padding
  never changes an embedding;
- the mean embedding subtracted before cosine comes from **training** utterances
  (``training_files``: a fixed few of every training speaker), never from the files being scored;
- thresholds are chosen on the **development** trials (``veri_dev.txt``, speakers disjoint from
  training and test); the test trials (``veri_test2.txt``) are scored once, at the end;
- every EER comes with its trial counts and a 95% interval from a bootstrap over speakers
  (``course.metrics.eer_interval``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from course.audio import read
from course.data.corpus import TRIAL_FILE, load_trials, read_split, speaker_of
from course.data.dataset import collate
from course.data.trials import trial_files
from course.features import for_model
from course.metrics import eer_interval, summary
from course.scoring import score_trials


def embed_files(model, paths, device=None, batch_size: int = 16, progress: bool = False,
                features=None) -> dict[Path, torch.Tensor]:
    """path → embedding (CPU float32) for each file, computed by ``model(features(wave), lengths)``."""
    return embed_waves(model, _Waves(paths), device, batch_size, progress, features)


class _Waves(Mapping):
    """path → waveform, read when asked: ``embed_waves`` keeps each file's features, never all its audio."""

    def __init__(self, paths):
        self.paths = list(paths)

    def __getitem__(self, path):
        return read(path)[0]

    def __iter__(self):
        return iter(self.paths)

    def __len__(self):
        return len(self.paths)


@torch.no_grad()
def embed_waves(model, waves: dict, device=None, batch_size: int = 16, progress: bool = False,
                features=None) -> dict:
    """key → embedding (CPU float32) of each 16 kHz waveform of ``waves`` (crops, degraded or concatenated
    audio), in eval mode, batched by similar lengths with ``lengths`` so padding changes nothing."""
    from tqdm.auto import tqdm

    features = _features(model, features)
    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    feats = {key: features(wave) for key, wave in waves.items()}
    order = sorted(feats, key=lambda key: feats[key].shape[1])
    out = {}
    try:
        for start in tqdm(range(0, len(order), batch_size), desc="embedding", disable=not progress):
            chunk = order[start:start + batch_size]
            x, lengths, _ = collate([(feats[key], 0) for key in chunk])
            emb = model(x.to(device), lengths.to(device)).float().cpu()
            out.update(zip(chunk, emb, strict=True))
    finally:
        model.train(was_training)
    return out


def _features(model, features):
    expected = for_model(model)
    if features is None:
        return expected
    if features is not expected:
        warnings.warn(f"the model expects {expected.__name__} features (model.feature_type = "
                      f"{getattr(model, 'feature_type', 'kaldi')!r}) but is fed {features.__name__}", stacklevel=3)
    return features


def training_files(root: str | Path, per_speaker: int = 2) -> list[Path]:
    """The training utterances the scoring mean is estimated on: the first ``per_speaker`` (sorted)
    of every training speaker of ``root``. Fixed, so every evaluation of a model uses the same mean."""
    by_speaker: dict[str, list[Path]] = {}
    for speaker, path in read_split(root, "train"):
        by_speaker.setdefault(speaker, []).append(path)
    return [p for spk in sorted(by_speaker) for p in sorted(by_speaker[spk])[:per_speaker]]


def mean_embedding(embeddings: dict) -> torch.Tensor:
    """The mean of an embedding dict (path → (D,)): pass embeddings of *training* files only."""
    return torch.stack([torch.as_tensor(e, dtype=torch.float32) for e in embeddings.values()]).mean(0)


def training_mean(model, root: str | Path, device=None, features=None, per_speaker: int = 2) -> torch.Tensor:
    """The mean embedding of ``model`` over ``training_files(root)``: what is subtracted before cosine."""
    return mean_embedding(embed_files(model, training_files(root, per_speaker), device, features=features))


def embed_and_score(model, root: str | Path, device=None, mean="train", batch_size: int = 16,
                    progress: bool = False, features=None, trial_file: str | Path = TRIAL_FILE,
                    train_root: str | Path | None = None) -> dict:
    """The evaluation of ``model`` on ``root``'s trial list (the test trials unless ``trial_file`` says
    otherwise), in the format of ``score_embeddings``.

    ``mean``: "train" (default) subtracts the mean embedding of the training utterances of
    ``train_root`` (default ``root``); a tensor is used as given; None scores plain cosine.
    ``features``: waveform → (F, T); default the model's own (``course.features.for_model``).
    """
    trials = load_trials(root, trial_file)
    if isinstance(mean, str):
        if mean != "train":
            raise ValueError(f"mean={mean!r}: expected 'train', a tensor or None")
        mean = training_mean(model, train_root or root, device, features)
    embeddings = embed_files(model, trial_files(trials), device, batch_size, progress, features)
    return score_embeddings(embeddings, trials, mean)


def score_embeddings(embeddings: dict, trials, mean: torch.Tensor | None = None, n_boot: int = 1000) -> dict:
    """The result of an evaluation: ``eer`` (a fraction), ``interval`` (``course.metrics.eer_interval``:
    low, high, trial and speaker counts), ``min_dcf`` (P_target 0.01), ``min_dcf_0.05``, ``scores``
    and ``labels`` of ``embeddings`` (path → (D,), as ``embed_files`` returns) on ``trials``, scored by
    cosine after subtracting ``mean`` (from training data: ``training_mean``; None: plain cosine).

    One format for every evaluation: ``embed_and_score`` and ``course.baseline.evaluate`` both return it.
    """
    scores, labels = score_trials(embeddings, trials, mean)
    table = summary(scores, labels)
    interval = eer_interval(scores, labels, [speaker_of(a) for _, a, _ in trials],
                            [speaker_of(b) for _, _, b in trials], n_boot=n_boot)
    return {"eer": table["eer_%"] / 100, "interval": interval, "min_dcf": table["min_dcf_0.01"],
            "min_dcf_0.05": table["min_dcf_0.05"], "scores": scores, "labels": labels}


def decide(scores, calibration=None, threshold: float | None = None, p_target: float = 0.01,
           c_miss: float = 1.0, c_fa: float = 1.0) -> dict:
    """The decision for raw ``scores``, the last step of the evaluation path.

    With a ``calibration`` (``course.calibration.LinearCalibration`` or its ``as_dict()``, as models
    store it) the scores become LLRs and a trial is accepted when its LLR reaches the Bayes threshold
    of the operating point (``p_target``, ``c_miss``, ``c_fa``). Without one only a raw ``threshold``
    can decide, and it knows no operating point. Returns {"accept", "llr" (None uncalibrated),
    "threshold", "on": "llr" | "score"}.
    """
    from course.calibration import LinearCalibration, bayes_threshold

    s = np.atleast_1d(np.asarray(scores, dtype=np.float64))
    if calibration is not None:
        if isinstance(calibration, dict):
            calibration = LinearCalibration(calibration["a"], calibration["b"], calibration.get("p_target", 0.5))
        llr, cut = calibration(s), bayes_threshold(p_target, c_miss, c_fa)
        return {"accept": llr >= cut, "llr": llr, "threshold": cut, "on": "llr"}
    if threshold is None:
        raise ValueError("decide: give a calibration (an LLR decision) or a raw score threshold")
    if not np.all(np.isfinite(s)):
        raise ValueError(f"scores: {int((~np.isfinite(s)).sum())} value(s) are NaN or infinite")
    return {"accept": s >= threshold, "llr": None, "threshold": float(threshold), "on": "score"}
