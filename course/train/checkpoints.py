"""Training's two file formats, and the one reader of both.

- a training checkpoint (``TRAINING_FORMAT``): the full state of a run, which
  ``course.train.loop.fit`` resumes from bit-identically (``save_checkpoint``, ``load_checkpoint``);
- a model file (``MODEL_FORMAT``): the weights, head, history and scoring recipe of a finished run
  (``course.train.export.save_model``; ``cached_fit``'s cache files are model files too).

Both are written atomically and sealed with a SHA-256 digest (``write_payload``, ``integrity``).
``read_checkpoint`` reads both, with one error policy: a ``CheckpointError`` naming the file and
saying what is wrong (missing, a folder, truncated or corrupt, a format version this course does not
read, not a course file). A write that fails (full disk, read-only folder) says why and that the
previous checkpoint is kept.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import torch

from course.paths import atomic_path
from course.train import integrity
from course.train.config import TrainConfig

TRAINING_FORMAT = "course.train/1"
MODEL_FORMAT = "course.model/1"
FORMATS = {TRAINING_FORMAT: "training checkpoint", MODEL_FORMAT: "model file"}  # what each format is, in words


class CheckpointError(ValueError):
    """A checkpoint or model file that is missing, unreadable or written for another run."""


def save_checkpoint(path, config: TrainConfig, parts: dict, state: dict) -> None:
    """Write atomically (a temporary file with a unique name, renamed), so that an interrupted save
    never leaves a torn file and two writers never share a temporary file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": TRAINING_FORMAT, "config": config.to_dict(), "state": state,
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


def read_checkpoint(path, formats=tuple(FORMATS)) -> dict:
    """The payload of a training checkpoint or model file whose format is one of ``formats``.

    ``CheckpointError`` naming the file when it is missing, a folder, unreadable (truncated, not a torch file),
    corrupt (its stored SHA-256 digest no longer matches; files written before the digest existed are not
    checked), not a course file, of a format version this course does not read, or of another kind than asked.
    """
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
    kind = payload.get("format") if isinstance(payload, dict) else None
    if not (isinstance(kind, str) and kind.startswith("course.") and "config" in payload and "model" in payload):
        raise CheckpointError(f"{path} is not a course checkpoint or model file (a torch file without a course "
                              "format, config and weights inside)")
    try:
        integrity.check(payload, f"checkpoint {path}")
    except ValueError as error:
        raise CheckpointError(str(error)) from None
    if kind not in FORMATS:
        raise CheckpointError(f"{path} has format {kind!r}, which this version of the course does not read "
                              f"(it reads {', '.join(FORMATS)}); use the course version that wrote it, or retrain")
    if kind not in formats:
        wanted = " or ".join(FORMATS[f] for f in formats)
        raise CheckpointError(f"{path} is a {FORMATS[kind]} ({kind}), not a {wanted}")
    return payload


def load_weights(path, module, weights: dict, what: str) -> None:
    """``module.load_state_dict(weights)``; weights that do not fit are a ``CheckpointError`` naming the file."""
    try:
        module.load_state_dict(weights)
    except RuntimeError as error:
        raise CheckpointError(f"{path}: the weights do not fit {what} ({error})") from None


def without_means(history: list[dict]) -> list[dict]:
    """Validations as shown and exported: without the mean embedding a run keeps in each (a resumed run
    needs the last one; a model file stores it once, as ``score_mean``)."""
    return [{k: v for k, v in h.items() if k != "mean"} for h in history]


def scoring_recipe(payload: dict) -> dict:
    """history (without means), threshold, score_mean, calibration and eer from either format: a model
    file stores them at its top, a training checkpoint in its last validation."""
    history = payload.get("history") or payload.get("state", {}).get("history") or []
    last = history[-1] if history else {}
    return {"history": without_means(history), "threshold": payload.get("threshold", last.get("threshold")),
            "score_mean": payload.get("score_mean", last.get("mean")),
            "calibration": payload.get("calibration", last.get("calibration")), "eer": last.get("eer")}


def load_checkpoint(path, config: TrainConfig, parts: dict) -> dict:
    """Load a training checkpoint of ``config`` into ``parts`` and the random states; the run's state."""
    payload = read_checkpoint(path, formats=(TRAINING_FORMAT,))
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
