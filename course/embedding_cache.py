"""Embeddings computed once and kept on disk: notebooks 12 and 13 embed the same recordings with the
same 20-million-parameter model, and the second need not pay for it again.

The key is the model's weights (a SHA-256 of its state dict), its feature type, and every file's
path, size and modification time: retrain the model or touch a file and the embeddings are computed
again. Files live under ``course.paths.cache_dir("embeddings")`` and are never committed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from course.evaluate import embed_files
from course.paths import atomic_path, cache_dir


def model_digest(model: torch.nn.Module) -> str:
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    digest.update(str(getattr(model, "feature_type", "kaldi")).encode())
    return digest.hexdigest()


def files_digest(paths) -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        stat = path.stat()
        digest.update(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def cached_embed_files(model, paths, batch_size: int = 8, progress: bool = False) -> dict[Path, torch.Tensor]:
    """``course.evaluate.embed_files(model, paths)`` with the model's own features, loaded from the cache
    when the same model has embedded the same files before."""
    paths = [Path(p) for p in paths]
    key = hashlib.sha256(f"{model_digest(model)}|{files_digest(paths)}".encode()).hexdigest()[:20]
    file = cache_dir("embeddings") / f"{key}.pt"
    if file.exists():
        try:
            stored = torch.load(file, map_location="cpu", weights_only=True)
            if [Path(p) for p in stored["paths"]] == sorted(paths):
                return dict(zip(sorted(paths), stored["embeddings"], strict=True))
        except (RuntimeError, OSError, KeyError, ValueError):
            pass  # a torn or foreign file: compute again, and overwrite it
    embeddings = embed_files(model, paths, batch_size=batch_size, progress=progress)
    order = sorted(paths)
    with atomic_path(file) as tmp:
        torch.save({"paths": [str(p) for p in order], "embeddings": torch.stack([embeddings[p] for p in order])}, tmp)
    return embeddings
