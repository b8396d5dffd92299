"""Evaluate a speaker-embedding model on a corpus's trial list: embed, score, measure.

Each test utterance is embedded whole, with the features the model records it expects
(``course.features.for_model``: Kaldi CMN fbank unless ``model.feature_type`` says otherwise;
passing other ``features`` warns), in batches of similar lengths with ``lengths`` so padding never changes an
embedding; trials are scored by cosine after subtracting the mean test
embedding (``subtract_mean``), and measured with EER and minDCF.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from course.audio import read
from course.data.corpus import load_trials
from course.data.dataset import collate
from course.features import for_model
from course.metrics import summary
from course.scoring import score_trials


@torch.no_grad()
def embed_files(model, paths, device=None, batch_size: int = 16, progress: bool = False,
                features=None) -> dict[Path, torch.Tensor]:
    """path → embedding (CPU float32) for each file, computed by ``model(features(wave), lengths)``."""
    from tqdm.auto import tqdm

    features = _features(model, features)
    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    feats = {p: features(read(p)[0]) for p in paths}
    order = sorted(paths, key=lambda p: feats[p].shape[1])
    out = {}
    try:
        for start in tqdm(range(0, len(order), batch_size), desc="embedding", disable=not progress):
            chunk = order[start:start + batch_size]
            x, lengths, _ = collate([(feats[p], 0) for p in chunk])
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


def embed_and_score(model, root: str | Path, device=None, subtract_mean: bool = True, batch_size: int = 16,
                    progress: bool = False, features=None) -> dict:
    """EER, minDCF (P_target 0.01 and 0.05), scores and labels of ``model`` on ``root``'s trials.

    ``features``: waveform → (F, T); default the model's own (``course.features.for_model``).
    """
    trials = load_trials(root)
    embeddings = embed_files(model, trial_files(trials), device, batch_size, progress, features)
    return score_embeddings(embeddings, trials, subtract_mean)


def trial_files(trials) -> list[Path]:
    """Every file a trial list ``[(label, a, b), ...]`` names, once, sorted."""
    return sorted({p for _, a, b in trials for p in (a, b)})


def score_embeddings(embeddings: dict, trials, subtract_mean: bool = True) -> dict:
    """The result of an evaluation: ``eer`` (a fraction), ``min_dcf`` (P_target 0.01), ``min_dcf_0.05``,
    ``scores`` and ``labels`` of ``embeddings`` (path → (D,), as ``embed_files`` returns) on ``trials``,
    scored by cosine after subtracting the mean embedding (``subtract_mean``).

    One format for every evaluation: ``embed_and_score`` and ``course.baseline.evaluate`` both return it.
    """
    mean = torch.stack(list(embeddings.values())).mean(0) if subtract_mean else None
    scores, labels = score_trials(embeddings, trials, mean)
    table = summary(scores, labels)
    return {"eer": table["eer_%"] / 100, "min_dcf": table["min_dcf_0.01"], "min_dcf_0.05": table["min_dcf_0.05"],
            "scores": scores, "labels": labels}
