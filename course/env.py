"""Where the course runs: device, seeds, threads, the smoke flag and a short report."""

from __future__ import annotations

import os
import platform
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch

SMOKE_VARIABLE = "COURSE_SMOKE"


def is_smoke() -> bool:
    """True when ``COURSE_SMOKE`` asks for the tiny CI configuration."""
    return os.environ.get(SMOKE_VARIABLE, "").strip().lower() in {"1", "true", "yes", "on"}


def set_smoke(on: bool = True) -> None:
    """Turn smoke mode on or off for this process and the kernels it starts (the one writer of
    ``COURSE_SMOKE``)."""
    os.environ[SMOKE_VARIABLE] = "1" if on else "0"


def pick(default, smoke):
    """The value for the current mode: ``smoke`` under COURSE_SMOKE, else ``default``."""
    return smoke if is_smoke() else default


def in_colab() -> bool:
    """True inside Google Colab (its ``google.colab`` module is importable)."""
    return "google.colab" in sys.modules or _importable("google.colab")


def _importable(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ModuleNotFoundError, ValueError):
        return False


def device(prefer: str | None = None) -> torch.device:
    """The best available device: cuda, then mps, then cpu (or ``prefer`` if given)."""
    if prefer is not None:
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """Run the block with torch on ``count`` intra-op threads (None: unchanged), then restore the count.

    Small problems (a toy head, one utterance's features) run faster on one thread:
    with several, thread hand-offs cost more than the work.
    """
    if count is not None and count < 1:
        raise ValueError(f"count: expected at least one thread (or None), got {count}")
    before = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and torch (all devices); return a seeded torch Generator."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def report() -> str:
    """A few lines naming the Python, library versions, device and mode."""
    import matplotlib

    try:
        import torchaudio

        ta = torchaudio.__version__
    except ImportError:  # pragma: no cover - torchaudio is a requirement
        ta = "not installed"
    dev = device()
    name = torch.cuda.get_device_name(0) if dev.type == "cuda" else platform.processor() or "cpu"
    lines = [
        f"python {platform.python_version()} on {platform.system()} ({platform.machine()})",
        f"torch {torch.__version__}, torchaudio {ta}, numpy {np.__version__}, "
        f"matplotlib {matplotlib.__version__}",
        f"device: {dev} ({name}), {torch.get_num_threads()} CPU threads",
        f"mode: {'smoke (tiny, for CI)' if is_smoke() else 'default'}; colab: {in_colab()}",
    ]
    return "\n".join(lines)
