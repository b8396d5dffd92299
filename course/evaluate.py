"""Evaluate a speaker-embedding model on a corpus's trial list: embed, score, measure.

Each test utterance is embedded whole (CMN fbank, ``course.features.fbank``), in
batches of similar lengths with ``lengths`` so padding never changes an
embedding; trials are scored by cosine after subtracting the mean test
embedding (``subtract_mean``), and measured with EER and minDCF.
"""

from __future__ import annotations

from pathlib import Path

import torch

from course.audio import read
from course.data.corpus import load_trials
from course.data.dataset import collate
from course.features import fbank
from course.metrics import summary
from course.scoring import score_trials


@torch.no_grad()
def embed_files(model, paths, device=None, batch_size: int = 16, progress: bool = False) -> dict[Path, torch.Tensor]:
    """path → embedding (CPU float32) for each file, computed by ``model(feats, lengths)``."""
    from tqdm.auto import tqdm

    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    feats = {p: fbank(read(p)[0]) for p in paths}
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


def embed_and_score(model, root: str | Path, device=None, subtract_mean: bool = True, batch_size: int = 16,
                    progress: bool = False) -> dict:
    """EER, minDCF (P_target 0.01 and 0.05), scores and labels of ``model`` on ``root``'s trials."""
    trials = load_trials(root)
    files = sorted({p for _, a, b in trials for p in (a, b)})
    embeddings = embed_files(model, files, device, batch_size, progress)
    mean = torch.stack(list(embeddings.values())).mean(0) if subtract_mean else None
    scores, labels = score_trials(embeddings, trials, mean)
    table = summary(scores, labels)
    return {"eer": table["eer_%"] / 100, "min_dcf": table["min_dcf_0.01"], "min_dcf_0.05": table["min_dcf_0.05"],
            "scores": scores, "labels": labels}
