"""Where generated data and caches live.

``COURSE_DATA`` wins when set; otherwise the repository's ``data/`` folder for a
checkout, or ``~/.cache/speaker-course`` for an installed package (Colab).
Generated corpora and trained-model caches are git-ignored, never committed.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_root() -> Path:
    """The folder for generated corpora (created on first use)."""
    if os.environ.get("COURSE_DATA"):
        root = Path(os.environ["COURSE_DATA"]).expanduser()
    elif (REPO_ROOT / "data" / "README.md").exists():
        root = REPO_ROOT / "data"
    else:
        root = Path.home() / ".cache" / "speaker-course"
    root.mkdir(parents=True, exist_ok=True)
    return root


def cache_dir(*parts: str) -> Path:
    """A folder under ``<data_root>/cache`` for computed artefacts (trained models...)."""
    path = data_root().joinpath("cache", *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


_WRITES = itertools.count()  # a clock with coarse ticks (Windows) could give two writes the same time


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary sibling of ``path`` to write; renamed onto ``path`` when the block ends, removed if it raises.

    Readers never see a half-written file, and two writers (processes, or one process twice) never
    share a temporary name: it holds the process id, the nanosecond clock and a counter. The suffix is kept
    last, so writers that choose the format by extension (soundfile) still do.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{time.time_ns()}.{next(_WRITES)}.tmp{path.suffix}")
    try:
        yield tmp
        tmp.replace(path)
    finally:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # a read-only folder refuses even this: keep the error that got us here
            pass
