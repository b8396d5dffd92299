"""Embeddings computed once and kept on disk: notebooks 12 and 13 embed the same recordings with the
same 20-million-parameter model, and the second need not pay for it again.

The key is the model's weights (a SHA-256 of its state dict), its feature type, and every file's
path, size and modification time (``cached_embed_files``), or every waveform's key and samples
(``cached_embed_waves``: degraded or concatenated audio): retrain the model, touch a file or change
a sample and the embeddings are computed again. Files live under
``course.paths.cache_dir("embeddings")`` and are never committed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from course.evaluate import embed_files, embed_waves
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


def _load(file: Path, keys: list) -> list | None:
    """The stored embeddings of ``keys`` (in that order), or None when the file is missing, torn or foreign."""
    if not file.exists():
        return None
    try:
        stored = torch.load(file, map_location="cpu", weights_only=True)
        if stored["keys"] == [str(k) for k in keys]:
            return list(stored["embeddings"])
    except Exception:  # a torn file fails deep in the unpickler (IndexError, EOFError...)
        pass  # compute again, and overwrite it
    return None


def _store(file: Path, keys: list, embeddings: dict) -> None:
    with atomic_path(file) as tmp:
        torch.save({"keys": [str(k) for k in keys], "embeddings": torch.stack([embeddings[k] for k in keys])}, tmp)


def cached_embed_waves(model, waves: dict, batch_size: int = 8) -> dict:
    """``course.evaluate.embed_waves(model, waves)``, loaded from the cache when the same model has
    embedded the same keys with the same samples before."""
    keys = list(waves)
    digest = hashlib.sha256(model_digest(model).encode())
    for key in keys:
        digest.update(f"{key!s}|".encode())
        digest.update(waves[key].detach().cpu().contiguous().numpy().tobytes())
    file = cache_dir("embeddings") / f"waves-{digest.hexdigest()[:20]}.pt"
    stored = _load(file, keys)
    if stored is not None:
        return dict(zip(keys, stored, strict=True))
    embeddings = embed_waves(model, waves, batch_size=batch_size)
    _store(file, keys, embeddings)
    return embeddings


def cached_embed_files(model, paths, batch_size: int = 8, progress: bool = False) -> dict[Path, torch.Tensor]:
    """``course.evaluate.embed_files(model, paths)`` with the model's own features, loaded from the cache
    when the same model has embedded the same files before."""
    paths = [Path(p) for p in paths]
    key = hashlib.sha256(f"{model_digest(model)}|{files_digest(paths)}".encode()).hexdigest()[:20]
    file = cache_dir("embeddings") / f"{key}.pt"
    order = sorted(paths)
    stored = _load(file, order)
    if stored is not None:
        return dict(zip(order, stored, strict=True))
    embeddings = embed_files(model, paths, batch_size=batch_size, progress=progress)
    _store(file, order, embeddings)
    return embeddings
