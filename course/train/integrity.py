"""A SHA-256 digest of a checkpoint's content, stored inside it, checked when it is read.

A flipped byte in a tensor leaves a zip that still unpickles: torch loads it without a
word, and a model scores, or a run resumes, with weights off by 1e24. ``seal`` adds
``payload["sha256"]``, the digest of everything else (tensors by dtype, shape and raw
bytes; other values by type and repr), and ``check`` recomputes it after loading.
Files written before the digest existed have none and load as before.

Cost: hashing is one pass over the tensor bytes (``benchmarks/checkpoint_digest.py``).
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch

KEY = "sha256"


def digest(payload: dict) -> str:
    """The SHA-256 of ``payload`` without its ``KEY`` entry, independent of dict order."""
    h = hashlib.sha256()
    _update(h, {k: v for k, v in payload.items() if k != KEY})
    return h.hexdigest()


def seal(payload: dict) -> dict:
    """``payload`` with its digest under ``KEY`` (a new dict; the input is not changed)."""
    return {**payload, KEY: digest(payload)}


def check(payload: dict, path) -> bool:
    """True when ``payload`` holds a digest and it matches; False when it holds none (an older file).

    A mismatch raises ``ValueError`` naming ``path``.
    """
    stored = payload.get(KEY)
    if stored is None:
        return False
    actual = digest(payload)
    if actual != stored:
        raise ValueError(f"{path} is corrupt: its content hashes to {actual[:12]}…, not the {stored[:12]}… "
                         "stored when it was written (a damaged copy or disk); use another copy or retrain")
    return True


def _update(h, value) -> None:
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
        if t.numel():
            h.update(t.reshape(-1).view(torch.uint8).numpy().data)  # raw bytes, any dtype (bfloat16 too)
    elif isinstance(value, np.ndarray):
        h.update(f"A{value.dtype}{value.shape}".encode())
        h.update(np.ascontiguousarray(value).data)
    elif isinstance(value, dict):
        h.update(f"D{len(value)}".encode())
        for key in sorted(value, key=repr):
            h.update(repr(key).encode())
            _update(h, value[key])
    elif isinstance(value, list | tuple):
        h.update(f"{type(value).__name__[0]}{len(value)}".encode())
        for item in value:
            _update(h, item)
    elif value is None or isinstance(value, int | float | complex | str | bytes | np.generic):
        h.update(f"{type(value).__name__}:{value!r}".encode())  # repr is exact: floats round-trip
    elif hasattr(value, "__dict__"):  # an object: its attributes (its repr may hold a memory address)
        h.update(type(value).__qualname__.encode())
        _update(h, vars(value))
    else:
        h.update(type(value).__qualname__.encode())
