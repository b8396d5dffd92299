"""Checkpoint files: written atomically and sealed with a SHA-256 digest, read with clear errors.

``save_checkpoint`` keeps the full state of a run (``course.train.loop.fit`` resumes from it
bit-identically); ``read_checkpoint`` names the file when it is missing, a folder, unreadable,
or corrupt (its digest no longer matches, see ``integrity``); a write that fails (full disk,
read-only folder) says why and that the previous checkpoint is kept.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import torch

from course.paths import atomic_path
from course.train import integrity
from course.train.config import TrainConfig


class CheckpointError(ValueError):
    """A checkpoint that is missing, unreadable or written for another run."""


def save_checkpoint(path, config: TrainConfig, parts: dict, state: dict) -> None:
    """Write atomically (a temporary file with a unique name, renamed), so that an interrupted save
    never leaves a torn file and two writers never share a temporary file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": "course.train/1", "config": config.to_dict(), "state": state,
               "torch_rng": torch.get_rng_state(),
               "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
               **{name: part.state_dict() for name, part in parts.items()}}
    write_payload(path, payload, kept=f"the last checkpoint {path} is kept" if path.exists() else "")


def write_payload(path: Path, payload: dict, kept: str = "") -> None:
    """``torch.save`` a sealed payload (its SHA-256 inside, see ``integrity``) atomically.

    A failed write (full disk, read-only folder) is a ``CheckpointError`` that says why and what is kept.
    """
    try:
        with atomic_path(path) as tmp:
            torch.save(integrity.seal(payload), tmp)
    except (OSError, RuntimeError) as error:  # torch reports a full disk as "enforce fail ... unexpected pos"
        raise CheckpointError(f"cannot write {path}: {write_failure(path, error)}" + (f"; {kept}" if kept else "")
                              ) from None


def write_failure(path: Path, error: Exception) -> str:
    """What an OSError or torch's RuntimeError on writing ``path`` means, in words."""
    if getattr(error, "errno", None) == errno.ENOSPC or "unexpected pos" in str(error):
        free = shutil.disk_usage(path.parent).free
        return f"no space left on device ({free / 1e6:.1f} MB free in {path.parent}); free some and run again"
    if getattr(error, "errno", None) in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"the folder {path.parent} is not writable ({error.strerror}); use another --out"
    return f"{type(error).__name__}: {error}"


def read_checkpoint(path) -> dict:
    """The payload of a checkpoint file; ``CheckpointError`` naming the file when missing, unreadable or corrupt
    (its stored SHA-256 digest no longer matches; files written before the digest existed are not checked)."""
    path = Path(path)
    if path.is_dir():
        inside = sorted(p.name for p in path.glob("*.pt"))
        raise CheckpointError(f"checkpoint {path} is a folder; pass a file"
                              + (f" inside it: {', '.join(inside)}" if inside else " (it holds no .pt file)"))
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:  # noqa: BLE001 - torch raises several types for a damaged file
        raise CheckpointError(f"checkpoint {path} is unreadable or corrupt ({type(error).__name__}: {error})") from None
    if not isinstance(payload, dict) or "config" not in payload or "model" not in payload:
        raise CheckpointError(f"{path} is not a course.train checkpoint (no config or model inside)")
    try:
        integrity.check(payload, f"checkpoint {path}")
    except ValueError as error:
        raise CheckpointError(str(error)) from None
    return payload


def load_checkpoint(path, config: TrainConfig, parts: dict) -> dict:
    payload = read_checkpoint(path)
    if payload["config"] != config.to_dict():
        raise CheckpointError(f"checkpoint {path} was written for another config; use a new path or delete it")
    for name, part in parts.items():
        if name not in payload:
            raise CheckpointError(f"checkpoint {path} has no {name!r} state")
        part.load_state_dict(payload[name])
    torch.set_rng_state(payload["torch_rng"])
    if payload.get("cuda_rng") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(payload["cuda_rng"])
    return payload["state"]
